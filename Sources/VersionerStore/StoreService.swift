import Foundation
import Logging
import ServiceLifecycle
import VersionerCore

/// How the store keeps data.
public struct StoreConfiguration: Sendable {
    public var directory: DataDirectory
    public var fsync: FsyncPolicy
    public var segmentSize: Int
    /// A snapshot is taken when this much time has passed since the last one (and something changed)…
    public var snapshotInterval: Duration
    /// …or when this many changes were journaled since the last one.
    public var snapshotEvery: Int
    /// How many snapshot files to keep.
    public var keepSnapshots: Int
    public var shardCount: Int
    public var metrics: StoreMetrics
    /// The one clock of the store: ids and timestamps of records, and the journal's record times.
    public var clock: any WallClock

    public init(directory: DataDirectory, fsync: FsyncPolicy = .always, segmentSize: Int = 64 * 1024 * 1024,
                snapshotInterval: Duration = .seconds(300), snapshotEvery: Int = 100_000, keepSnapshots: Int = 3,
                shardCount: Int, metrics: StoreMetrics = StoreMetrics(), clock: any WallClock = SystemWallClock()) {
        self.directory = directory
        self.fsync = fsync
        self.segmentSize = segmentSize
        self.snapshotInterval = snapshotInterval
        self.snapshotEvery = snapshotEvery
        self.keepSnapshots = keepSnapshots
        self.shardCount = shardCount
        self.metrics = metrics
        self.clock = clock
    }
}

/// Something that can write a snapshot now (the server's store, for the admin endpoint).
public protocol SnapshotTaking: Sendable {
    func takeSnapshot() async throws -> SnapshotInfo
}

/// The durable store as a service: recovers the state, opens the journal, hands the tracker to
/// the server, takes periodic snapshots, and on graceful shutdown (after the HTTP server has
/// stopped) flushes the journal and writes a final snapshot.
public final class StoreService: Service, SnapshotTaking {
    private let configuration: StoreConfiguration
    private let logger: Logger
    private let onReady: @Sendable (Tracker, StoreService) async throws -> Void
    private let onFatal: @Sendable (String) -> Void
    private let running = SnapshotRunner()

    /// - Parameters:
    ///   - onReady: called once recovery has finished, with the tracker to serve.
    ///   - onFatal: called when the journal cannot write; the process must exit non-zero.
    public init(configuration: StoreConfiguration, logger: Logger,
                onReady: @escaping @Sendable (Tracker, StoreService) async throws -> Void,
                onFatal: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
        self.onFatal = onFatal
    }

    public func run() async throws {
        let directory = configuration.directory
        let configuration = self.configuration
        let logger = self.logger
        let onFatal = self.onFatal
        logger.info("recovering", metadata: ["data_dir": "\(directory.root)"])
        // Every step here blocks on files: run them on a thread of their own.
        let (lock, state, report, journal) = try await onOwnThread {
            let lock = try directory.lock()
            let (state, report) = try Recovery.recover(directory, cutTornTail: true, logger: logger)
            let journal = try FileJournal.continuing(
                directory, after: report.lastSequence,
                options: .init(policy: configuration.fsync, segmentSize: configuration.segmentSize, clock: configuration.clock),
                logger: logger, metrics: configuration.metrics, onFatal: onFatal)
            return (lock, state, report, journal)
        }
        defer { withExtendedLifetime(lock) {} }
        logger.info("recovered", metadata: [
            "recovery.snapshot": "\(report.snapshot?.path ?? "none")",
            "recovery.snapshot_sequence": "\(report.snapshot?.sequence ?? 0)",
            "recovery.events_replayed": "\(report.replayed)",
            "recovery.last_sequence": "\(report.lastSequence)",
            "recovery.products": "\(state.products.count)",
            "recovery.duration_ms": "\(report.duration.milliseconds)",
        ])
        configuration.metrics.recoveryDuration.record(report.duration.inSeconds)
        configuration.metrics.recoveryReplayed.record(report.replayed)
        if let snapshot = report.snapshot { configuration.metrics.snapshotSize.record(snapshot.fileBytes) }
        let tracker = Tracker(shardCount: configuration.shardCount, journal: journal, clock: configuration.clock, state: state)
        await running.start(tracker: tracker, journal: journal, lastSnapshot: report.snapshot?.sequence ?? 0)
        try await onReady(tracker, self)

        // Periodic snapshots until the server has stopped.
        await running.periodically(every: configuration.snapshotEvery, orAfter: configuration.snapshotInterval, logger: logger,
                                   tick: { try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) } },
                                   take: { _ = try await self.takeSnapshot() })

        // Shutting down: the HTTP server has stopped, so nothing new arrives.
        await journal.close()
        if await running.changesSinceSnapshot() > 0 {
            let info = try await takeSnapshot()
            logger.info("final snapshot written", metadata: ["snapshot.path": "\(info.path)", "snapshot.sequence": "\(info.sequence)"])
        }
        logger.info("store closed", metadata: ["journal.last_sequence": "\(journal.lastSequence)"])
    }

    /// Writes a snapshot now (one at a time), keeps the newest `keepSnapshots`, and deletes the
    /// journal segments that every kept snapshot has passed.
    public func takeSnapshot() async throws -> SnapshotInfo {
        let journal = configuration.directory.journal
        return try await running.write(to: configuration.directory.snapshots, keep: configuration.keepSnapshots,
                                       metrics: configuration.metrics, logger: logger) { oldest in
            _ = try SnapshotStore.pruneJournal(journal, through: oldest)
        }
    }
}

/// Serialises snapshots and remembers the last one.
public actor SnapshotRunner {
    private var tracker: Tracker?
    private var journal: (any Journal)?
    private var lastSnapshot: UInt64 = 0

    public init() {}

    /// Starts snapshots of `tracker`, whose changes go to `journal` (again after a rebuild).
    public func start(tracker: Tracker, journal: any Journal, lastSnapshot: UInt64) {
        self.tracker = tracker
        self.journal = journal
        self.lastSnapshot = lastSnapshot
    }

    /// Changes journaled since the last snapshot.
    public func changesSinceSnapshot() -> UInt64 {
        guard let journal else { return 0 }
        let last = journal.lastSequence
        return last > lastSnapshot ? last - lastSnapshot : 0
    }

    /// Writes a snapshot into `directory` (one at a time), keeps the newest `keep`, and hands the
    /// oldest kept one's sequence to `pruned` (on a thread of its own: it may delete files); metrics and a log
    /// line record it.
    public func write(to directory: String, keep: Int, metrics: StoreMetrics, logger: Logger,
                      pruned: @escaping @Sendable (_ oldestKept: UInt64) throws -> Void = { _ in }) async throws -> SnapshotInfo {
        try await exclusively { capture in
            let started = ContinuousClock.now
            // Encoding and compressing a large state takes a core for seconds: at a lower priority,
            // so that requests keep the CPU when both are busy (it only slows the snapshot).
            let info = try await SnapshotStore.write(capture, to: directory, niceness: 10)
            try await onOwnThread {
                if let oldest = try SnapshotStore.prune(directory, keep: keep) { try pruned(oldest) }
            }
            let duration = ContinuousClock.now - started
            metrics.snapshots.increment()
            metrics.snapshotDuration.record(duration: duration)
            metrics.snapshotSize.record(info.fileBytes)
            logger.info("snapshot written", metadata: [
                "snapshot.path": "\(info.path)", "snapshot.sequence": "\(info.sequence)", "snapshot.bytes": "\(info.fileBytes)",
                "snapshot.uncompressed_bytes": "\(info.header.uncompressedLength)",
                "snapshot.duration_ms": "\(duration.milliseconds)",
            ])
            return info
        }
    }

    /// Takes a snapshot (`take`) once `every` changes have been journaled since the last, or
    /// after `interval` with any change, looking after each `tick`, until a tick throws.
    public func periodically(every: Int, orAfter interval: Duration, logger: Logger,
                             tick: () async throws -> Void, take: () async throws -> Void) async {
        var lastTime = ContinuousClock.now
        while true {
            do { try await tick() } catch { return }
            let pending = changesSinceSnapshot()
            guard pending >= UInt64(every) || (pending > 0 && ContinuousClock.now - lastTime >= interval) else { continue }
            do {
                try await take()
            } catch {
                logger.error("periodic snapshot failed; the journal still holds every change", metadata: ["error": "\(error)"])
            }
            lastTime = ContinuousClock.now
        }
    }

    /// Captures the state and runs `write` with it; snapshots run one at a time.
    public func exclusively(_ write: @Sendable (LiveCapture) async throws -> SnapshotInfo) async throws -> SnapshotInfo {
        guard let tracker else { throw StoreUnavailable() }
        await acquire()
        defer { release() }
        let capture = await tracker.liveCapture()
        let info = try await write(capture)
        // A snapshot holds what was applied, which may run ahead of what is durable; keep it only
        // once the journal has made everything it holds durable (a failed journal never does).
        do {
            try await journal?.waitDurable(info.sequence)
        } catch {
            try? PosixFile.remove(info.path)
            throw error
        }
        lastSnapshot = max(lastSnapshot, info.sequence)
        return info
    }

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn to the next waiter, or frees it.
    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

/// The store has not finished recovery.
public struct StoreUnavailable: Error, CustomStringConvertible {
    public var description: String { "the store is still recovering" }
}

/// Runs blocking work (file I/O, compression) on a thread of its own, off Swift's cooperative pool;
/// a positive `niceness` lowers that thread's scheduling priority (Linux: per-thread nice value).
public func onOwnThread<T: Sendable>(niceness: Int32 = 0, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            #if os(Linux)
            // On Linux the nice value is per thread, and 0 names the calling thread.
            if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
            #endif
            do {
                continuation.resume(returning: try body())
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.name = "versioner-io"
        thread.start()
    }
}
