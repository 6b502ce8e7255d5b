import Foundation
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
/// waiting for those sequence numbers. A failed write or sync is fatal: the journal refuses all
/// further changes, fails the waiting requests, and calls `onFatal` (the server exits non-zero).
public final class FileJournal: Journal, @unchecked Sendable {
    public struct Options: Sendable {
        public var policy: FsyncPolicy
        /// A segment is closed and a new one begun once it holds this many bytes.
        public var segmentSize: Int
        /// How often the `interval` policy syncs.
        public var syncInterval: Duration

        public init(policy: FsyncPolicy = .always, segmentSize: Int = 64 * 1024 * 1024, syncInterval: Duration = .seconds(1)) {
            self.policy = policy
            self.segmentSize = segmentSize
            self.syncInterval = syncInterval
        }
    }

    private let directory: String
    private let options: Options
    private let logger: Logger
    private let metrics: StoreMetrics
    private let onFatal: @Sendable (String) -> Void

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var pendingLast: UInt64 = 0
    private var pendingCount = 0
    private var assigned: UInt64
    private var durable: UInt64
    private var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var failure: JournalError?
    private var stopping = false
    private var stopped: CheckedContinuation<Void, Never>?
    private var hasStopped = false

    // Used only by the writer thread (and `init`, before it starts).
    private var fd: Int32 = -1
    private var segmentPath = ""
    private var segmentBytes = 0
    private var segmentHasRecords = false
    private var unsynced = false

    /// Opens a new segment for records from `nextSequence` on and starts the writer thread.
    /// A file already named for `nextSequence` must hold no records (recovery removes it).
    public init(directory: String, nextSequence: UInt64, options: Options = Options(), logger: Logger,
                metrics: StoreMetrics = StoreMetrics(), onFatal: @escaping @Sendable (String) -> Void) throws {
        self.directory = directory
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.onFatal = onFatal
        self.assigned = nextSequence - 1
        self.durable = nextSequence - 1
        self.pendingLast = nextSequence - 1
        try PosixFile.makeDirectory(directory)
        try openSegment(firstSequence: nextSequence)
        let thread = Thread { [self] in writerLoop() }
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
        condition.lock()
        defer { condition.unlock() }
        return assigned
    }

    public func append(_ change: StateChange) throws(JournalError) -> UInt64 {
        var payload = BinaryWriter()
        payload.timestamp(Timestamp.now())
        payload.change(change)
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        guard !stopping else { throw JournalError("the journal is closed") }
        assigned += 1
        pending.append(contentsOf: JournalFormat.frame(sequence: assigned, payload: payload.bytes))
        pendingLast = assigned
        pendingCount += 1
        condition.signal()
        return assigned
    }

    public func waitDurable(_ sequence: UInt64) async throws(JournalError) {
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                condition.lock()
                if let failure {
                    condition.unlock()
                    continuation.resume(throwing: failure)
                } else if durable >= sequence {
                    condition.unlock()
                    continuation.resume()
                } else {
                    waiters.append((sequence, continuation))
                    condition.unlock()
                }
            }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("\(error)")
        }
    }

    /// Writes and syncs everything appended so far, then stops the writer. Later appends fail.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if hasStopped {
                condition.unlock()
                continuation.resume()
                return
            }
            stopping = true
            stopped = continuation
            condition.signal()
            condition.unlock()
        }
    }

    // MARK: The writer thread

    private func writerLoop() {
        var lastSync = ContinuousClock.now
        while true {
            condition.lock()
            while pending.isEmpty, !stopping {
                if options.policy == .interval, unsynced {
                    let due = lastSync + options.syncInterval
                    let now = ContinuousClock.now
                    if now >= due { break }
                    let seconds = Double((due - now).components.attoseconds) / 1e18 + Double((due - now).components.seconds)
                    _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
                } else {
                    condition.wait()
                }
            }
            let batch = pending
            let batchLast = pendingLast
            let batchCount = pendingCount
            let finishing = stopping && pending.isEmpty
            pending = []
            pendingCount = 0
            condition.unlock()

            do {
                if !batch.isEmpty {
                    metrics.journalAppends.increment(by: batchCount)
                    metrics.batchRecords.record(batchCount)
                    try write(batch, lastSequence: batchLast)
                    if options.policy == .always { try sync() }
                    markDurable(batchLast)
                }
                if options.policy == .interval, unsynced, ContinuousClock.now >= lastSync + options.syncInterval {
                    try sync()
                    lastSync = ContinuousClock.now
                }
                if finishing {
                    try sync()
                    Glibc.close(fd)
                    fd = -1
                    finish()
                    return
                }
            } catch {
                fail(error)
                return
            }
        }
    }

    private func write(_ batch: [UInt8], lastSequence: UInt64) throws {
        if segmentHasRecords, segmentBytes + batch.count > options.segmentSize {
            // A batch starts at the record after the last durable one.
            let first = durableUnlocked() + 1
            try sync()
            Glibc.close(fd)
            try openSegment(firstSequence: first)
        }
        try PosixFile.writeAll(fd, batch, path: segmentPath)
        segmentBytes += batch.count
        segmentHasRecords = true
        unsynced = true
    }

    private func sync() throws {
        guard unsynced, fd >= 0 else { return }
        let started = ContinuousClock.now
        try PosixFile.dataSync(fd, path: segmentPath)
        metrics.fsyncDuration.record(duration: ContinuousClock.now - started)
        unsynced = false
    }

    private func openSegment(firstSequence: UInt64) throws {
        segmentPath = directory + "/" + JournalFormat.segmentName(firstSequence: firstSequence)
        fd = try PosixFile.open(segmentPath, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let header = JournalFormat.header(firstSequence: firstSequence)
        try PosixFile.writeAll(fd, header, path: segmentPath)
        try PosixFile.dataSync(fd, path: segmentPath)
        try PosixFile.syncDirectory(directory)
        segmentBytes = header.count
        segmentHasRecords = false
        unsynced = false
    }

    /// Puts `/dev/full` under the open segment, so that the next write fails as on a full disk.
    /// For tests of the failure path.
    func breakForTesting() throws {
        condition.lock()
        defer { condition.unlock() }
        let full = try PosixFile.open("/dev/full", flags: O_WRONLY)
        dup2(full, fd)
        Glibc.close(full)
    }

    private func durableUnlocked() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return durable
    }

    private func markDurable(_ sequence: UInt64) {
        condition.lock()
        durable = sequence
        var ready: [CheckedContinuation<Void, any Error>] = []
        waiters.removeAll { waiter in
            guard waiter.sequence <= sequence else { return false }
            ready.append(waiter.continuation)
            return true
        }
        condition.unlock()
        for continuation in ready { continuation.resume() }
    }

    private func finish() {
        condition.lock()
        hasStopped = true
        let continuation = stopped
        stopped = nil
        condition.unlock()
        continuation?.resume()
    }

    private func fail(_ error: any Error) {
        let message = "journal write failed, refusing further writes: \(error)"
        condition.lock()
        failure = JournalError(message)
        let waiting = waiters
        waiters = []
        condition.unlock()
        for waiter in waiting { waiter.continuation.resume(throwing: JournalError(message)) }
        logger.critical("\(message)", metadata: ["journal.segment": "\(segmentPath)"])
        finish()
        onFatal(message)
    }
}
