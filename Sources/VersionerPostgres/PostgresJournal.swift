import Logging
import Metrics
import NIOCore
import PostgresNIO
import Synchronization
import VersionerCore
import VersionerStore

/// The write-ahead journal in a PostgreSQL table, with group commit.
///
/// `append` encodes the change and queues it, inside the shard's turn, without I/O. One writer
/// task takes everything queued since its last commit and inserts it with one statement — one
/// transaction — on the node's append connection, then resumes every request waiting for those
/// sequence numbers. A 2xx therefore means PostgreSQL acknowledged the commit (with a
/// synchronous standby configured: the standby has it too).
///
/// Fencing: the append connection holds the owner's advisory lock, and every insert checks that
/// the owner row still carries this journal's epoch. A node whose session was ended (its lock
/// taken over) cannot commit on it; one that reconnected cannot pass the epoch check.
///
/// Any failure — connection lost, fenced, a statement refused — fails the journal for good: the
/// waiting requests and every later append get a ``JournalError`` (answered 503), because the
/// outcome of the commit in flight is unknown. The store rebuilds from the database before it
/// writes again.
public final class PostgresJournal: Journal {
    struct Queue: Sendable {
        var sequences: [Int64] = []
        var times: [Int64] = []
        var records: [ByteBuffer] = []
        var assigned: UInt64
        var durability: Durability
        var stopping = false
        /// The writer has returned (closed, or failed), or the journal failed.
        var ended = false
        var endWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The epoch this journal appends with.
    public let epoch: Int64
    private let queue: Mutex<Queue>
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation
    private let clock: any WallClock
    private let metrics: StoreMetrics

    init(after lastSequence: UInt64, epoch: Int64, clock: any WallClock, metrics: StoreMetrics) {
        self.epoch = epoch
        self.clock = clock
        self.metrics = metrics
        queue = Mutex(Queue(assigned: lastSequence, durability: Durability(durable: lastSequence)))
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var lastSequence: UInt64 { queue.withLock { $0.assigned } }

    /// The last sequence PostgreSQL acknowledged.
    public var durableSequence: UInt64 { queue.withLock { $0.durability.durable } }

    /// Why the journal stopped taking changes, once it has.
    public var failure: JournalError? { queue.withLock { $0.durability.failure } }

    public func append(_ change: StateChange) throws(JournalError) -> UInt64 {
        let time = clock.now()
        let payload = JournalRecordCodec.encode(time: time, change: change)
        let result: Result<(UInt64, Bool), JournalError> = queue.withLock { queue in
            if let failure = queue.durability.failure { return .failure(failure) }
            guard !queue.stopping else { return .failure(JournalError("the journal is closed")) }
            queue.assigned += 1
            let wake = queue.sequences.isEmpty
            queue.sequences.append(Int64(queue.assigned))
            queue.times.append(time.microseconds)
            queue.records.append(ByteBuffer(bytes: payload))
            return .success((queue.assigned, wake))
        }
        let (sequence, wake) = try result.get()
        if wake { ring.yield() }
        return sequence
    }

    public func waitDurable(_ sequence: UInt64) async throws(JournalError) {
        try await Durability.wait { continuation in queue.withLock { $0.durability.wait(for: sequence, continuation) } }
    }

    /// Stops taking changes; the writer commits what is queued and returns.
    public func close() {
        queue.withLock { $0.stopping = true }
        ring.finish()
    }

    /// Fails the journal: waiting requests and later appends get `reason`.
    func fail(_ reason: String) {
        let waiting = queue.withLock { $0.durability.fail(JournalError(reason)) }
        ring.finish()
        waiting.resume()
        end()
    }

    /// Returns once the journal has failed, or its writer has committed everything after a close.
    /// (A writer blocked on a dead connection does not hold this up: the failure ends it.)
    func ended() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = queue.withLock { queue in
                if queue.ended { return true }
                queue.endWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func end() {
        let waiters = queue.withLock { queue in
            queue.ended = true
            defer { queue.endWaiters = [] }
            return queue.endWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Commits batches on `connection` until the journal is closed (returns) or a commit fails
    /// (fails the journal, then throws).
    func runWriter(on connection: PostgresConnection, logger: Logger) async throws {
        defer { end() }
        for await _ in doorbell {
            while let batch = take() {
                let started = ContinuousClock.now
                let committed: Int64
                do {
                    committed = try await insert(batch, on: connection, logger: logger)
                } catch {
                    fail("the journal's database connection failed: \(reason(error))")
                    throw error
                }
                guard committed == Int64(batch.sequences.count) else {
                    let reason = "fenced: another node owns the journal now (epoch \(epoch) is stale)"
                    fail(reason)
                    throw JournalError(reason)
                }
                metrics.commitDuration.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
                metrics.batchRecords.record(batch.sequences.count)
                metrics.journalAppends.increment(by: batch.sequences.count)
                markDurable(UInt64(batch.sequences.last!))
            }
        }
    }

    private struct Batch {
        var sequences: [Int64]
        var times: [Int64]
        var records: [ByteBuffer]
    }

    private func take() -> Batch? {
        queue.withLock { queue in
            guard !queue.sequences.isEmpty, queue.durability.failure == nil else { return nil }
            defer {
                queue.sequences = []
                queue.times = []
                queue.records = []
            }
            return Batch(sequences: queue.sequences, times: queue.times, records: queue.records)
        }
    }

    /// One statement, one transaction: inserts the batch only while the owner row carries this
    /// epoch, and notifies the followers at commit. Returns how many records it inserted.
    private func insert(_ batch: Batch, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.run("""
            WITH inserted AS (
                INSERT INTO versioner_journal (seq, epoch, recorded_at, record)
                SELECT b.seq, \(epoch), to_timestamp(b.at / 1000000.0), b.record
                FROM unnest(\(batch.sequences)::int8[], \(batch.times)::int8[], \(batch.records)::bytea[]) AS b(seq, at, record)
                WHERE EXISTS (SELECT 1 FROM versioner_owner WHERE id = 1 AND epoch = \(epoch))
                RETURNING seq)
            SELECT count(*)::int8 FROM inserted CROSS JOIN LATERAL (SELECT pg_notify('versioner_journal', '')) AS notified
            """, logger: logger)
        var count: Int64 = 0
        for try await value in rows.decode(Int64.self) { count = value }
        return count
    }

    private func markDurable(_ sequence: UInt64) {
        queue.withLock { $0.durability.markDurable(sequence) }.resume()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
