import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Logging
import VersionerCore

/// When the journal forces records to disk.
public enum FsyncPolicy: String, Sendable, CaseIterable {
    /// `fdatasync` before any write is answered (group commit: one sync per batch). The default.
    case always
    /// Answer once written to the operating system; `fdatasync` at most every interval.
    /// A power loss can lose the last interval; a crash of the process alone loses nothing.
    case interval
    /// Answer once written; sync only when a segment is closed. For tests and throwaway data.
    case none
}

/// The write-ahead journal on disk, with group commit.
///
/// `append` frames the change and queues it; one writer thread takes everything queued since its
/// last write, writes it with one call, syncs once (policy `always`), then resumes every request
/// waiting for those sequence numbers.
///
/// A failed write or sync is fatal, and this is the one path it takes: the journal refuses all
/// further changes, fails the waiting requests, and calls `onFatal` once; the server's `onFatal`
/// exits the process at once with a non-zero status. Nothing retries a failed `fdatasync`: after
/// one, the kernel may have dropped the dirty pages, so a later success proves nothing.
///
/// Concurrency, as the compiler checks it: what `append` and the writer share is one
/// ``Queue`` behind a `Mutex`; what only the writer touches (the open segment's descriptor, its
/// size) is a ``SegmentWriter`` value that lives on the writer thread's stack and nowhere else.
public final class FileJournal: Journal {
    public struct Options: Sendable {
        public var policy: FsyncPolicy
        /// A segment is closed and a new one begun once it holds this many bytes.
        public var segmentSize: Int
        /// How often the `interval` policy syncs.
        public var syncInterval: Duration
        /// The clock each record's journaling time is read from (`restore --to-time` compares it).
        public var clock: any WallClock

        public init(policy: FsyncPolicy = .always, segmentSize: Int = 64 * 1024 * 1024, syncInterval: Duration = .seconds(1),
                    clock: any WallClock = SystemWallClock()) {
            self.policy = policy
            self.segmentSize = segmentSize
            self.syncInterval = syncInterval
            self.clock = clock
        }
    }

    /// What `append`, `waitDurable`, `close` and the writer thread share.
    struct Queue: Sendable {
        /// Framed records not yet taken by the writer, and the sequence of the last one.
        var pending: [UInt8] = []
        var pendingLast: UInt64
        var pendingCount = 0
        /// The last sequence number handed out, and the last one on disk (synced, with `always`).
        var assigned: UInt64
        var durability: Durability
        var stopping = false
        var stopped: CheckedContinuation<Void, Never>?
        var hasStopped = false
        /// A test asked for the next write to fail (see ``breakForTesting()``).
        var breakRequested = false
    }

    private let queue: Mutex<Queue>
    /// Signalled when the queue turns non-empty or the journal is asked to stop.
    private let wakeup = DispatchSemaphore(value: 0)
    private let options: Options
    private let logger: Logger
    private let metrics: StoreMetrics
    private let onFatal: @Sendable (String) -> Void

    /// Opens a new segment for records from `nextSequence` on and starts the writer thread.
    /// A file already named for `nextSequence` must hold no records (recovery removes it).
    public init(directory: String, nextSequence: UInt64, options: Options = Options(), logger: Logger,
                metrics: StoreMetrics = StoreMetrics(), onFatal: @escaping @Sendable (String) -> Void) throws {
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.onFatal = onFatal
        queue = Mutex(Queue(pendingLast: nextSequence - 1, assigned: nextSequence - 1, durability: Durability(durable: nextSequence - 1)))
        try PosixFile.makeDirectory(directory)
        let first = try SegmentWriter.open(directory: directory, firstSequence: nextSequence)
        let thread = Thread { [self] in
            var writer = SegmentWriter(directory: directory, segment: first, options: options, metrics: metrics)
            writerLoop(&writer)
        }
        thread.name = "versioner-journal"
        thread.start()
    }

    /// Opens the journal of a recovered data directory for records after `lastSequence`.
    /// A segment already named for the next record holds none (recovery cut it): it is begun anew.
    public static func continuing(_ directory: DataDirectory, after lastSequence: UInt64, options: Options = Options(),
                                  logger: Logger, metrics: StoreMetrics = StoreMetrics(),
                                  onFatal: @escaping @Sendable (String) -> Void) throws -> FileJournal {
        let next = lastSequence + 1
        try PosixFile.remove(directory.journal + "/" + JournalFormat.segmentName(firstSequence: next))
        return try FileJournal(directory: directory.journal, nextSequence: next, options: options, logger: logger,
                               metrics: metrics, onFatal: onFatal)
    }

    public var lastSequence: UInt64 {
        queue.withLock { $0.assigned }
    }

    public func append(_ change: StateChange) throws(JournalError) -> UInt64 {
        try append(prepared: prepare(change))
    }

    /// Encodes the record (with the time it is journaled) ahead of the append.
    public func prepare(_ change: StateChange) -> PreparedChange {
        PreparedChange(change, record: JournalRecordCodec.encode(time: options.clock.now(), change: change))
    }

    public func append(prepared: PreparedChange) throws(JournalError) -> UInt64 {
        let payload = prepared.record ?? JournalRecordCodec.encode(time: options.clock.now(), change: prepared.change)
        let result: Result<(sequence: UInt64, wake: Bool), JournalError> = queue.withLock { queue in
            if let failure = queue.durability.failure { return .failure(failure) }
            guard !queue.stopping else { return .failure(JournalError("the journal is closed")) }
            queue.assigned += 1
            let wake = queue.pending.isEmpty
            queue.pending.append(contentsOf: JournalFormat.frame(sequence: queue.assigned, payload: payload))
            queue.pendingLast = queue.assigned
            queue.pendingCount += 1
            return .success((queue.assigned, wake))
        }
        let appended = try result.get()
        // The writer looks at the queue before each wait, so one signal per non-empty queue is enough.
        if appended.wake { wakeup.signal() }
        return appended.sequence
    }

    public func waitDurable(_ sequence: UInt64) async throws(JournalError) {
        try await Durability.wait { continuation in queue.withLock { $0.durability.wait(for: sequence, continuation) } }
    }

    /// Writes and syncs everything appended so far, then stops the writer. Later appends fail.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = queue.withLock { queue in
                if queue.hasStopped { return true }
                queue.stopping = true
                queue.stopped = continuation
                return false
            }
            if alreadyStopped { continuation.resume() } else { wakeup.signal() }
        }
    }

    /// Makes the writer's next write fail as on a full disk (it puts `/dev/full` under the open
    /// segment, on the writer thread). For tests of the failure path.
    func breakForTesting() {
        queue.withLock { $0.breakRequested = true }
    }

    // MARK: The writer thread

    /// One batch taken from the queue.
    private struct Batch {
        var bytes: [UInt8]
        var last: UInt64
        var count: Int
        var finishing: Bool
        var breakRequested: Bool
    }

    private func writerLoop(_ writer: inout SegmentWriter) {
        var lastSync = ContinuousClock.now
        while true {
            let batch = queue.withLock { queue -> Batch? in
                guard !queue.pending.isEmpty || queue.stopping else { return nil }
                defer {
                    queue.pending = []
                    queue.pendingCount = 0
                    queue.breakRequested = false
                }
                return Batch(bytes: queue.pending, last: queue.pendingLast, count: queue.pendingCount,
                             finishing: queue.stopping, breakRequested: queue.breakRequested)
            }
            do {
                guard let batch else {
                    // Nothing to write: sleep until an append or, with `interval`, until a sync is due.
                    if options.policy == .interval, writer.unsynced {
                        let due = lastSync + options.syncInterval
                        if ContinuousClock.now >= due {
                            try writer.sync()
                            lastSync = ContinuousClock.now
                        } else {
                            let remaining = (due - ContinuousClock.now).components
                            let nanoseconds = Int(remaining.seconds) * 1_000_000_000 + Int(remaining.attoseconds / 1_000_000_000)
                            _ = wakeup.wait(timeout: .now() + .nanoseconds(max(0, nanoseconds)))
                        }
                    } else {
                        wakeup.wait()
                    }
                    continue
                }
                if batch.breakRequested { try writer.replaceWithDevFull() }
                if !batch.bytes.isEmpty {
                    metrics.journalAppends.increment(by: batch.count)
                    metrics.batchRecords.record(batch.count)
                    try writer.write(batch.bytes, firstSequence: durable() + 1)
                    if options.policy == .always { try writer.sync() }
                    markDurable(batch.last)
                }
                if options.policy == .interval, writer.unsynced, ContinuousClock.now >= lastSync + options.syncInterval {
                    try writer.sync()
                    lastSync = ContinuousClock.now
                }
                if batch.finishing {
                    try writer.sync()
                    writer.close()
                    finish()
                    return
                }
            } catch {
                fail(error, segment: writer.path)
                return
            }
        }
    }

    private func durable() -> UInt64 {
        queue.withLock { $0.durability.durable }
    }

    private func markDurable(_ sequence: UInt64) {
        queue.withLock { $0.durability.markDurable(sequence) }.resume()
    }

    private func finish() {
        let continuation = queue.withLock { queue in
            queue.hasStopped = true
            defer { queue.stopped = nil }
            return queue.stopped
        }
        continuation?.resume()
    }

    private func fail(_ error: any Error, segment: String) {
        let message = "journal write failed, refusing further writes: \(error)"
        queue.withLock { $0.durability.fail(JournalError(message)) }.resume()
        logger.critical("\(message)", metadata: ["journal.segment": "\(segment)"])
        finish()
        onFatal(message)
    }
}

/// The open segment and what only the writer thread knows of it. Not `Sendable`: it is made on
/// the writer thread and never leaves it.
struct SegmentWriter: ~Copyable {
    /// A segment just opened, with its header written and synced.
    struct Opened: Sendable {
        var fd: Int32
        var path: String
        var bytes: Int
    }

    private let directory: String
    private let options: FileJournal.Options
    private let metrics: StoreMetrics
    private var fd: Int32
    private(set) var path: String
    private var bytes: Int
    private var hasRecords = false
    /// Whether something was written since the last sync.
    private(set) var unsynced = false

    init(directory: String, segment: Opened, options: FileJournal.Options, metrics: StoreMetrics) {
        self.directory = directory
        self.options = options
        self.metrics = metrics
        fd = segment.fd
        path = segment.path
        bytes = segment.bytes
    }

    /// Creates the segment for records from `firstSequence` on and writes its header.
    static func open(directory: String, firstSequence: UInt64) throws -> Opened {
        let path = directory + "/" + JournalFormat.segmentName(firstSequence: firstSequence)
        let fd = try PosixFile.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let header = JournalFormat.header(firstSequence: firstSequence)
        try PosixFile.writeAll(fd, header, path: path)
        try PosixFile.dataSync(fd, path: path)
        try PosixFile.syncDirectory(directory)
        return Opened(fd: fd, path: path, bytes: header.count)
    }

    /// Writes a batch whose first record is `firstSequence`, beginning a new segment first when
    /// the open one is full.
    mutating func write(_ batch: [UInt8], firstSequence: UInt64) throws {
        if hasRecords, bytes + batch.count > options.segmentSize {
            try sync()
            close()
            let opened = try Self.open(directory: directory, firstSequence: firstSequence)
            (fd, path, bytes, hasRecords) = (opened.fd, opened.path, opened.bytes, false)
        }
        try PosixFile.writeAll(fd, batch, path: path)
        bytes += batch.count
        hasRecords = true
        unsynced = true
    }

    mutating func sync() throws {
        guard unsynced, fd >= 0 else { return }
        let started = ContinuousClock.now
        try PosixFile.dataSync(fd, path: path)
        metrics.fsyncDuration.record(duration: ContinuousClock.now - started)
        unsynced = false
    }

    mutating func close() {
        guard fd >= 0 else { return }
        PosixFile.close(fd)
        fd = -1
    }

    /// Puts `/dev/full` under the open segment's descriptor, so that the next write fails.
    func replaceWithDevFull() throws {
        let full = try PosixFile.open("/dev/full", flags: O_WRONLY)
        dup2(full, fd)
        PosixFile.close(full)
    }
}

// The writer's state is confined to its thread: handing it to another does not compile.
@available(*, unavailable)
extension SegmentWriter: Sendable {}
