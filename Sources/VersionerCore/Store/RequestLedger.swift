import Synchronization

/// What a request with a key may do (docs/API.md §8).
public enum RequestClaim: Sendable, Equatable {
    /// Nothing is known of it: go on. The key is now in flight until ``RequestLedger/release(_:)``.
    case proceed
    /// It was answered before: answer the same again, record nothing.
    case replay(RequestEntry)
    /// The key was used before with another body.
    case differentBody
    /// The first request with this key has not been answered yet.
    case inFlight
}

/// The live ``RequestLedgerState`` shared by the shards and the front end, and the keys of
/// requests being worked on (those are not remembered across a restart: their client got no answer).
public final class RequestLedger: Sendable {
    private struct Contents {
        var state: RequestLedgerState
        var inFlight: Set<RequestKey> = []
        var lastPrune: Timestamp
    }

    private let contents: Mutex<Contents>
    /// How often expired entries are swept out, in microseconds.
    private static let pruneInterval: Int64 = 60 * 1_000_000

    /// Starts from what recovery rebuilt, without what has expired since.
    public init(_ state: RequestLedgerState = RequestLedgerState(), now: Timestamp = Timestamp(microseconds: 0)) {
        var state = state
        state.prune(at: now)
        contents = Mutex(Contents(state: state, lastPrune: now))
    }

    /// Looks `key` up; when it is unknown, marks it in flight.
    public func claim(_ key: RequestKey, digest: [UInt8], at now: Timestamp) -> RequestClaim {
        contents.withLock { contents in
            if now.microseconds - contents.lastPrune.microseconds >= Self.pruneInterval {
                contents.state.prune(at: now)
                contents.lastPrune = now
            }
            if contents.inFlight.contains(key) { return .inFlight }
            if let entry = contents.state.entry(key, at: now) {
                return entry.digest == digest ? .replay(entry) : .differentBody
            }
            contents.inFlight.insert(key)
            return .proceed
        }
    }

    /// The request of `key` has ended: answered (its entry, if any, is kept) or failed.
    public func release(_ key: RequestKey) {
        _ = contents.withLock { $0.inFlight.remove(key) }
    }

    /// An event that came with `tag` was applied.
    func noteEvent(_ tag: RequestTag, subject: RequestSubject, at time: Timestamp) {
        contents.withLock { $0.state.noteEvent(tag, subject: subject, at: time) }
    }

    /// Runs `body` with the state under the lock: an answer is journaled and applied in one step,
    /// so that a snapshot never holds an answer without the journal holding it before.
    func withState<T>(_ body: (inout RequestLedgerState) -> T) -> T {
        contents.withLock { body(&$0.state) }
    }

    /// What a snapshot keeps: the entries alive at `now`.
    public func live(at now: Timestamp) -> [(key: RequestKey, entry: RequestEntry)] {
        contents.withLock { $0.state.live(at: now) }
    }
}
