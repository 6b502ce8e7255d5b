// What the tracker remembers of answered requests, so that a retry is answered again rather
// than recorded twice (docs/API.md §8).
//
// Two kinds of entry, told apart by their ``RequestKey``:
// - an `Idempotency-Key` a client sent, kept ``keyLifetime`` (24 h) with the answer's bytes;
// - an event without one but with an `invoke_id`, kept ``retryWindow`` (10 s), identified by
//   its body: the CLI retries a failed request with the same bytes and no key of its own.

/// Who sent a request and what identifies it among that client's requests.
public struct RequestKey: Hashable, Sendable, Comparable {
    /// The API key's id, or `admin` for the configured admin key: keys are per client.
    public var client: String
    /// `key:` and the `Idempotency-Key`, or `body:` and the body's digest in hex.
    public var name: String

    public init(client: String, name: String) {
        self.client = client
        self.name = name
    }

    /// A key the client chose.
    public static func explicit(client: String, key: String) -> RequestKey {
        RequestKey(client: client, name: "key:" + key)
    }

    /// The implicit key of a request that names none: its body.
    public static func implicit(client: String, digest: [UInt8]) -> RequestKey {
        RequestKey(client: client, name: "body:" + hex(digest))
    }

    public var isExplicit: Bool { name.hasPrefix("key:") }

    /// How long an entry of this key is kept.
    public var lifetime: Int64 { isExplicit ? RequestLedgerState.keyLifetime : RequestLedgerState.retryWindow }

    public static func < (a: RequestKey, b: RequestKey) -> Bool { (a.client, a.name) < (b.client, b.name) }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The request an event came from, journaled with the event itself: once the event is durable,
/// so is the fact that its request was taken, and a retry after a crash is not recorded again.
///
/// A class, so that an event without one (most events in memory) spends one pointer on it.
public final class RequestTag: Hashable, Sendable {
    public let key: RequestKey
    /// SHA-256 of the route and the body bytes: a reused key with another body is refused.
    public let digest: [UInt8]

    public init(key: RequestKey, digest: [UInt8]) {
        self.key = key
        self.digest = digest
    }

    public static func == (a: RequestTag, b: RequestTag) -> Bool { a.key == b.key && a.digest == b.digest }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(digest)
    }
}

/// An answer as it was sent: replayed byte for byte.
public struct StoredAnswer: Hashable, Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// What a request made, when it was an event: a replay without stored bytes answers with it.
public enum RequestSubject: Hashable, Sendable {
    case deployment(EntityID)
    case build(EntityID)
}

/// One remembered request.
public struct RequestEntry: Hashable, Sendable {
    public var digest: [UInt8]
    /// When it was accepted; it is forgotten ``RequestKey/lifetime`` later.
    public var acceptedAt: Timestamp
    public var subject: RequestSubject?
    /// The answer's bytes; nil for the implicit window, and for an event whose answer was not yet
    /// durable when the process stopped (its client never received it).
    public var answer: StoredAnswer?

    public init(digest: [UInt8], acceptedAt: Timestamp, subject: RequestSubject? = nil, answer: StoredAnswer? = nil) {
        self.digest = digest
        self.acceptedAt = acceptedAt
        self.subject = subject
        self.answer = answer
    }
}

/// An answer journaled for an `Idempotency-Key`.
public struct AnsweredRequest: Hashable, Sendable {
    public var key: RequestKey
    public var entry: RequestEntry

    public init(key: RequestKey, entry: RequestEntry) {
        self.key = key
        self.entry = entry
    }
}

/// Every remembered request, as the journal and snapshots rebuild it.
public struct RequestLedgerState: Hashable, Sendable {
    /// 24 hours, in microseconds: how long an `Idempotency-Key` is kept.
    public static let keyLifetime: Int64 = 24 * 3600 * 1_000_000
    /// 10 seconds, in microseconds: how long an identical event with the same `invoke_id` is a retry.
    public static let retryWindow: Int64 = 10 * 1_000_000

    public private(set) var entries: [RequestKey: RequestEntry] = [:]

    public init() {}

    /// The entry of `key`, unless it has expired by `now`.
    public func entry(_ key: RequestKey, at now: Timestamp) -> RequestEntry? {
        guard let entry = entries[key], !Self.expired(key, entry, at: now) else { return nil }
        return entry
    }

    /// An event that came with a tag was applied: its request is taken.
    public mutating func noteEvent(_ tag: RequestTag, subject: RequestSubject, at time: Timestamp) {
        var entry = entries[tag.key] ?? RequestEntry(digest: tag.digest, acceptedAt: time)
        entry.subject = subject
        entries[tag.key] = entry
    }

    /// An answer was journaled.
    public mutating func apply(_ answered: AnsweredRequest) {
        var entry = answered.entry
        if entry.subject == nil { entry.subject = entries[answered.key]?.subject }
        entries[answered.key] = entry
    }

    /// Forgets what expired by `now`.
    public mutating func prune(at now: Timestamp) {
        entries = entries.filter { !Self.expired($0.key, $0.value, at: now) }
    }

    /// Entries still alive at `now`, in key order (what a snapshot writes).
    public func live(at now: Timestamp) -> [(key: RequestKey, entry: RequestEntry)] {
        entries.filter { !Self.expired($0.key, $0.value, at: now) }.map { ($0.key, $0.value) }.sorted { $0.key < $1.key }
    }

    public mutating func insert(_ entry: RequestEntry, for key: RequestKey) {
        entries[key] = entry
    }

    private static func expired(_ key: RequestKey, _ entry: RequestEntry, at now: Timestamp) -> Bool {
        now.microseconds - entry.acceptedAt.microseconds >= key.lifetime
    }
}
