/// The canonical status of a build or a deployment (docs/API.md §2).
public enum Status: String, Sendable, CaseIterable, Hashable {
    case pending
    case started
    case completed
    case failed
    case aborted

    /// A terminal status is final: a deployment or build that reached one is never reopened.
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .aborted: return true
        case .pending, .started: return false
        }
    }

    /// The words clients may send for each canonical status. `deploying`/`deployed` and
    /// `building`/`built` are accepted for both kinds of event.
    public static let aliases: [(word: String, status: Status)] = [
        ("pending", .pending), ("queued", .pending), ("scheduled", .pending),
        ("started", .started), ("in_progress", .started), ("init", .started),
        ("deploying", .started), ("building", .started),
        ("success", .completed), ("completed", .completed), ("complete", .completed),
        ("finished", .completed), ("deployed", .completed), ("built", .completed),
        ("failed", .failed), ("fail", .failed), ("failure", .failed), ("error", .failed),
        ("aborted", .aborted), ("abort", .aborted), ("cancelled", .aborted), ("cancel", .aborted),
        ("skipped", .aborted), ("canceled", .aborted),
    ]

    private static let byWord: [String: Status] = Dictionary(uniqueKeysWithValues: aliases.map { ($0.word, $0.status) })

    /// Normalises a client's status word: trimmed of Unicode white space, ASCII letters in any
    /// case (only ASCII: Unicode case folding would take the Kelvin sign for a `k`). Nil when the
    /// word is unknown.
    public init?(normalizing raw: String) {
        let trimmed = raw.trimmingWhitespace().asciiLowercased()
        guard let status = Self.byWord[trimmed] else { return nil }
        self = status
    }

    /// The status of an accepted word written exactly as listed in ``aliases``; nil for any other text.
    public init?(acceptedWord word: String) {
        guard let status = Self.byWord[word] else { return nil }
        self = status
    }

    /// Every accepted word, for error messages.
    public static var acceptedWords: [String] { aliases.map(\.word) }
}

/// What an event is about.
public enum EventKind: String, Sendable, Hashable, CaseIterable {
    case deployment
    case build
}

extension String {
    /// The string without leading and trailing white space (Unicode white space and newlines).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// The string with `A`…`Z` made lower case, every other character as it is.
    func asciiLowercased() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { scalar in
            ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
        }))
    }

    /// True when the string is empty or only white space.
    var isBlank: Bool {
        unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }
}
