import VersionerCore

/// The query string, decoded (`+` is a space, `%XX` a byte), with typed readers that collect
/// every invalid parameter for one 422 answer.
struct QueryParameters: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(pieces[0])
            let value = pieces.count > 1 ? Self.decode(pieces[1]) : ""
            pairs.append((name, value))
        }
    }

    /// Every non-empty value given for `name`, in order (a repeated parameter).
    func values(_ name: String) -> [String] {
        pairs.filter { $0.name == name && !$0.value.isEmpty }.map(\.value)
    }

    /// The last value given for `name`.
    subscript(name: String) -> String? {
        pairs.last(where: { $0.name == name })?.value
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8).makeIterator()
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let first = iterator.next()
                let second = first == nil ? nil : iterator.next()
                if let first, let second, let high = hex(first), let low = hex(second) {
                    bytes.append(high << 4 | low)
                } else {
                    bytes.append(byte)
                    if let first { bytes.append(first) }
                    if let second { bytes.append(second) }
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// The query string with `name` set to `value` (other parameters kept, in order).
    func replacing(_ name: String, with value: String) -> String {
        var result = pairs.filter { $0.name != name }
        result.append((name, value))
        return result.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
    }
}

/// Reads typed query parameters, collecting every invalid one.
struct QueryReader {
    let query: QueryParameters
    private(set) var errors: [FieldError] = []

    init(_ query: QueryParameters) {
        self.query = query
    }

    /// A non-empty text filter; empty counts as absent.
    func text(_ name: String) -> String? {
        guard let value = query[name], !value.isEmpty else { return nil }
        return value
    }

    mutating func timestamp(_ name: String) -> Timestamp? {
        guard let value = text(name) else { return nil }
        guard let timestamp = Timestamp(rfc3339: value) else {
            errors.append(FieldError(["query", name], .notDateTime))
            return nil
        }
        return timestamp
    }

    /// A past instant given as `name` (RFC 3339, not after `now`): what history is asked as of.
    mutating func pastInstant(_ name: String, now: Timestamp) -> Timestamp? {
        guard let instant = timestamp(name) else { return nil }
        guard instant <= now else {
            errors.append(FieldError(["query", name], .inFuture))
            return nil
        }
        return instant
    }

    /// A journal sequence given as `name`: an unsigned integer.
    mutating func sequence(_ name: String) -> UInt64? {
        guard let value = text(name) else { return nil }
        guard let sequence = UInt64(value) else {
            errors.append(FieldError(["query", name], .notInteger(minimum: 0, maximum: Int.max)))
            return nil
        }
        return sequence
    }

    /// `true` or `false`.
    mutating func bool(_ name: String) -> Bool? {
        guard let value = text(name) else { return nil }
        switch value {
        case "true": return true
        case "false": return false
        default:
            errors.append(FieldError(["query", name], .notOneOf(["true", "false"])))
            return nil
        }
    }

    /// The window of an insights query: `since` and `until` (default: the 30 days up to `now`),
    /// `interval` (default `week`) and `tz` (default `UTC`); nil when any of them is invalid.
    mutating func insightsWindow(now: Timestamp) -> InsightsWindow? {
        let until = timestamp("until") ?? now
        let since = timestamp("since") ?? Timestamp(microseconds: until.microseconds - 30 * 86_400_000_000)
        var interval = BucketInterval.week
        if let word = text("interval") {
            if let chosen = BucketInterval(rawValue: word) {
                interval = chosen
            } else {
                errors.append(FieldError(["query", "interval"], .notOneOf(BucketInterval.allCases.map(\.rawValue))))
            }
        }
        let zone = text("tz") ?? "UTC"
        if !InsightsWindow.isKnownTimeZone(zone) { errors.append(FieldError(["query", "tz"], .unknownTimeZone)) }
        guard errors.isEmpty else { return nil }
        do {
            return try InsightsWindow(since: since, until: until, interval: interval, timeZone: zone)
        } catch {
            switch error {
            case .unknownTimeZone: errors.append(FieldError(["query", "tz"], .unknownTimeZone))
            case .sinceAfterUntil: errors.append(FieldError(["query", "since"], .windowOrder))
            case .tooManyBuckets:
                errors.append(FieldError(["query", "interval"], .tooManyBuckets(limit: InsightsWindow.maximumBuckets)))
            }
            return nil
        }
    }

    /// A status filter: a canonical word or one accepted for it, exactly as written (events are
    /// looser: they come from many clients, a filter from a person reading the list).
    mutating func status(_ name: String = "status") -> Status? {
        guard let value = text(name) else { return nil }
        guard let status = Status(acceptedWord: value) else {
            errors.append(FieldError(["query", name], .unknownStatus))
            return nil
        }
        return status
    }

    mutating func environmentType(_ name: String = "type") -> EnvironmentType? {
        guard let value = text(name) else { return nil }
        guard let type = EnvironmentType(rawValue: value) else {
            errors.append(FieldError(["query", name], .notOneOf(EnvironmentType.allCases.map(\.rawValue))))
            return nil
        }
        return type
    }

    /// An event type filter: `deployment`, `build`, or a full type such as `deployment.completed`.
    mutating func eventType(_ name: String = "type") -> EventQuery.TypeFilter? {
        guard let value = text(name) else { return nil }
        guard let type = EventQuery.parseType(value) else {
            errors.append(FieldError(["query", name], .notOneOf(EventQuery.acceptedTypes)))
            return nil
        }
        return type
    }

    /// `limit` (1…1000, default 50) and the opaque `cursor`.
    mutating func page() -> PageRequest {
        var page = PageRequest()
        if let value = query["limit"] {
            if let limit = Int(value), (1...PageRequest.maximumLimit).contains(limit) {
                page.limit = limit
            } else {
                errors.append(FieldError(["query", "limit"], .notInteger(minimum: 1, maximum: PageRequest.maximumLimit)))
            }
        }
        if let value = query["cursor"], !value.isEmpty {
            if let cursor = Cursor.decode(value) {
                page.cursor = cursor
            } else {
                errors.append(FieldError(["query", "cursor"], .invalidCursor))
            }
        }
        return page
    }

    /// Throws the 422 answer when any parameter read so far was invalid.
    func check() throws(APIError) {
        if !errors.isEmpty { throw APIError(ValidationFailure(errors)) }
    }
}

/// The opaque pagination cursor: the id of the last item of a page, as 32 hex digits.
enum Cursor {
    static func encode(_ id: EntityID) -> String {
        id.uuidString.filter { $0 != "-" }
    }

    static func decode(_ text: String) -> EntityID? {
        let bytes = Array(text.utf8)
        guard bytes.count == 32 else { return nil }
        func part(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        return EntityID(uuidString: [part(0..<8), part(8..<12), part(12..<16), part(16..<20), part(20..<32)].joined(separator: "-"))
    }
}
