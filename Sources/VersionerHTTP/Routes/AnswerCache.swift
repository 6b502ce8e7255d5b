import Synchronization

/// Encoded answers of the queries dashboards poll (`GET /state/`, list pages), reused while
/// nothing has changed.
///
/// Each entry is stored with the tracker's change sequence read *before* the answer was computed;
/// it is served only while that sequence is still the current one. A change that lands while an
/// answer is being computed leaves the entry older than the current sequence, so the next request
/// computes afresh: an answer is never staler than an uncached one would be.
final class AnswerCache<Key: Hashable & Sendable, Answer: Sendable>: Sendable {
    private let entries = Mutex<[Key: (sequence: UInt64, answer: Answer)]>([:])
    /// Distinct queries kept at most; when full, the cache starts over.
    private let capacity: Int

    init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// The answer for `key` at change `sequence`: the cached one, or `compute`'s (then cached).
    func answer(for key: Key, at sequence: UInt64, compute: () async -> Answer) async -> Answer {
        if let hit = entries.withLock({ $0[key] }), hit.sequence == sequence {
            return hit.answer
        }
        let answer = await compute()
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            if sequence >= entries[key]?.sequence ?? 0 { entries[key] = (sequence, answer) }
        }
        return answer
    }
}
