import VersionerCore

/// How far a journal is durable, and the requests waiting for their change to be: kept in the
/// journal's locked queue, so that both journals (file and PostgreSQL) wait and wake the same way.
/// The mutating methods run under that lock; what they return is resumed after it is released.
public struct Durability: Sendable {
    /// The last sequence on durable storage.
    public private(set) var durable: UInt64
    /// Set once the journal failed: every waiter, now and later, gets it.
    public private(set) var failure: JournalError?
    private var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []

    public init(durable: UInt64) {
        self.durable = durable
    }

    /// Keeps `continuation` until `sequence` is durable, or answers at once (durable already, or failed).
    public mutating func wait(for sequence: UInt64, _ continuation: CheckedContinuation<Void, any Error>) -> Wakeups {
        if let failure { return Wakeups([continuation], failure) }
        if durable >= sequence { return Wakeups([continuation], nil) }
        waiters.append((sequence, continuation))
        return Wakeups([], nil)
    }

    /// Everything up to `sequence` is durable: the waiters for it wake.
    public mutating func markDurable(_ sequence: UInt64) -> Wakeups {
        durable = sequence
        var ready: [CheckedContinuation<Void, any Error>] = []
        waiters.removeAll { waiter in
            guard waiter.sequence <= sequence else { return false }
            ready.append(waiter.continuation)
            return true
        }
        return Wakeups(ready, nil)
    }

    /// The journal failed (the first failure is the one kept): every waiter wakes with it.
    public mutating func fail(_ error: JournalError) -> Wakeups {
        if failure == nil { failure = error }
        defer { waiters = [] }
        return Wakeups(waiters.map(\.continuation), failure)
    }

    /// Waits until `register` (which calls ``wait(for:_:)`` under the journal's lock) is answered.
    public static func wait(_ register: (CheckedContinuation<Void, any Error>) -> Wakeups) async throws(JournalError) {
        do {
            try await withCheckedThrowingContinuation { continuation in register(continuation).resume() }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("\(error)")
        }
    }

    /// Requests to resume, once the lock is released.
    public struct Wakeups {
        private let continuations: [CheckedContinuation<Void, any Error>]
        private let failure: JournalError?

        init(_ continuations: [CheckedContinuation<Void, any Error>], _ failure: JournalError?) {
            self.continuations = continuations
            self.failure = failure
        }

        public func resume() {
            for continuation in continuations {
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
        }
    }
}
