import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import Synchronization
import VersionerCore
import VersionerStore

/// How a node keeps its state on a PostgreSQL journal.
public struct PostgresStoreConfiguration: Sendable {
    public var location: PostgresLocation
    /// The node's own directory: its snapshots (they stay local) and its lock.
    public var directory: DataDirectory
    /// This node's name in the cluster's tables; unique per node.
    public var nodeName: String
    /// The URL other nodes hand requests to while this node owns the journal.
    public var advertiseURL: String?
    /// At start, keep retrying an unreachable database (answering `/ready` 503) instead of exiting.
    public var waitForDatabase: Bool
    /// How often the owner (and each standby) writes its heartbeat.
    public var heartbeatInterval: Duration
    /// A standby ends the session of an owner whose heartbeat is older than this (a stalled owner
    /// keeps its lock while its connection lives), then takes the journal over.
    public var heartbeatTimeout: Duration
    /// How often a standby reads the journal when no notification woke it.
    public var pollInterval: Duration
    public var snapshotInterval: Duration
    public var snapshotEvery: Int
    public var keepSnapshots: Int
    public var shardCount: Int
    public var metrics: StoreMetrics
    public var clock: any WallClock

    public init(location: PostgresLocation, directory: DataDirectory, nodeName: String, advertiseURL: String? = nil,
                waitForDatabase: Bool = false, heartbeatInterval: Duration = .seconds(1),
                heartbeatTimeout: Duration = .seconds(5), pollInterval: Duration = .milliseconds(500),
                snapshotInterval: Duration = .seconds(300), snapshotEvery: Int = 100_000, keepSnapshots: Int = 3,
                shardCount: Int, metrics: StoreMetrics = StoreMetrics(), clock: any WallClock = SystemWallClock()) {
        self.location = location
        self.directory = directory
        self.nodeName = nodeName
        self.advertiseURL = advertiseURL
        self.waitForDatabase = waitForDatabase
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.pollInterval = pollInterval
        self.snapshotInterval = snapshotInterval
        self.snapshotEvery = snapshotEvery
        self.keepSnapshots = keepSnapshots
        self.shardCount = shardCount
        self.metrics = metrics
        self.clock = clock
    }
}

/// The database could not be reached at start (and the server was not told to wait for it).
public struct PostgresUnreachable: Error, CustomStringConvertible {
    public let description: String
}

/// A node on the PostgreSQL journal, as a service.
///
/// One node at a time owns the journal: the one holding the owner's advisory lock on its append
/// connection. The others are standbys: they follow the journal into a state of their own
/// (woken by `NOTIFY`, and polling), so that a takeover only replays the tail. A standby that
/// finds the lock free — the owner's session ended — takes it, bumps the epoch (which fences
/// the old owner out of every later append), catches up and serves. One whose owner stopped
/// heartbeating (stalled, but with its session alive) ends that session first.
///
/// When the owner loses its database, its journal fails: writes answer 503, reads go on from
/// memory. Once the database is back, the node rebuilds its state from its snapshot and the
/// journal (its memory may hold changes that never committed) and serves again — or stands by,
/// if another node took over meanwhile.
public final class PostgresStoreService: Service, SnapshotTaking, ClusterReporting {
    private let configuration: PostgresStoreConfiguration
    private let logger: Logger
    private let onServe: @Sendable (Tracker, PostgresStoreService) async throws -> Void
    private let onOwn: @Sendable (Tracker) async throws -> Void
    private let onStatus: @Sendable (NodeStatus) -> Void
    private let running = SnapshotRunner()
    private let reported: Mutex<NodeStatus>

    /// - Parameters:
    ///   - onServe: called with each state this node builds (at start, and after losing track of
    ///     the journal), to answer from from then on.
    ///   - onOwn: called each time this node starts to own the journal (it can write now).
    ///   - onStatus: called whenever the node's role or position changes.
    public init(configuration: PostgresStoreConfiguration, logger: Logger,
                onServe: @escaping @Sendable (Tracker, PostgresStoreService) async throws -> Void,
                onOwn: @escaping @Sendable (Tracker) async throws -> Void,
                onStatus: @escaping @Sendable (NodeStatus) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.onServe = onServe
        self.onOwn = onOwn
        self.onStatus = onStatus
        reported = Mutex(NodeStatus(role: .connecting, node: configuration.nodeName))
    }

    /// The node's status as last reported.
    public var status: NodeStatus { reported.withLock { $0 } }

    // MARK: The node's life

    /// One state this node serves: a tracker over the node's view of the journal. It lives from
    /// a start (or a rebuild) until the node's memory can no longer be trusted to match the
    /// journal: when a commit's outcome is unknown.
    private struct Incarnation: Sendable {
        let tracker: Tracker
        let journal: NodeJournal
        let snapshots: Task<Void, Never>
    }

    public func run() async throws {
        let directory = configuration.directory
        let lock = try await onOwnThread { try directory.lock() }
        defer { withExtendedLifetime(lock) {} }
        logger.info("using the PostgreSQL journal", metadata: [
            "journal": "\(configuration.location)", "node": "\(configuration.nodeName)",
        ])
        var first = true
        var incarnation: Incarnation?
        while !Task.isShuttingDownGracefully {
            let connection: PostgresConnection
            do {
                connection = try await connectToPrimary()
            } catch {
                if first && !configuration.waitForDatabase {
                    throw PostgresUnreachable(description: "cannot reach the journal's database at \(configuration.location): \(error)")
                }
                logger.warning("the journal's database is unreachable; retrying", metadata: [
                    "journal": "\(configuration.location)", "error": "\(error)",
                ])
                report { $0.role = $0.role == .disconnected ? .disconnected : .connecting }
                do { try await pause(.seconds(1)) } catch { break }
                continue
            }
            first = false
            do {
                try await PostgresSchema.migrate(connection, logger: logger)
                if let followed = incarnation, try await !journalHoldsLastRecord(of: followed, connection) {
                    // Only a failover can do this: the old primary showed this node a commit
                    // that never reached the new one (a synchronous wait cut short). Its
                    // snapshots may hold it too: they are set aside, and the state is rebuilt
                    // from the journal alone.
                    followed.snapshots.cancel()
                    incarnation = nil
                    let snapshots = configuration.directory.snapshots
                    let moved = try await onOwnThread { try SnapshotStore.setAsideAll(snapshots, suffix: ".diverged") }
                    logger.error("this node followed a record the journal no longer holds (lost in a database failover); rebuilding from the journal alone", metadata: [
                        "journal.sequence": "\(followed.journal.lastSequence)", "snapshots.set_aside": "\(moved)",
                    ])
                }
                let current: Incarnation
                if let incarnation { current = incarnation } else { current = try await incarnate(connection) }
                incarnation = current
                let epoch = try await standBy(connection, current)
                try await follow(connection, current)
                let finished = try await serve(connection, current, epoch: epoch)
                if finished {
                    current.snapshots.cancel()
                    try? await connection.close()
                    return
                }
                // The outcome of a commit is unknown: memory may hold a change the journal lacks.
                // The old state keeps answering reads until a new one is built from the journal.
                current.snapshots.cancel()
                incarnation = nil
            } catch is CancellationError {
                try? await connection.close()
                break
            } catch let error as PostgresSchemaError {
                try? await connection.close()
                throw error
            } catch {
                logger.error("lost the journal's database; reconnecting", metadata: ["error": "\(reason(error))"])
                if let current = incarnation, current.journal.owned != nil {
                    current.snapshots.cancel()
                    incarnation = nil
                    report { $0.role = .disconnected }
                }
            }
            try? await connection.close()
            do { try await pause(.seconds(1)) } catch { break }
        }
        // Shutting down while standing by: a snapshot makes the next start quick.
        if let incarnation {
            incarnation.snapshots.cancel()
            if await running.changesSinceSnapshot() > 0 { _ = try? await takeSnapshot() }
        }
    }

    /// Builds this node's state: the newest local snapshot the journal does not run behind,
    /// then every record after it; serves reads from it at once.
    private func incarnate(_ connection: PostgresConnection) async throws -> Incarnation {
        let end = try await journalEnd(connection)
        let directory = configuration.directory
        let logger = self.logger
        let started = ContinuousClock.now
        let loaded = try await onOwnThread {
            try SnapshotStore.loadNewestValid(directory.snapshots, notPast: end, logger: logger)
        }
        var replay = ReplayState()
        var applied: UInt64 = 0
        if let (snapshot, info) = loaded {
            replay = ReplayState(snapshot)
            applied = snapshot.header.sequence
            configuration.metrics.snapshotSize.record(info.fileBytes)
        }
        let snapshotSequence = applied
        var lastRecord: [UInt8]?
        try await readRecords(connection, after: applied) { sequence, change, record in
            replay.apply(change, sequence: sequence)
            applied = sequence
            lastRecord = record
        }
        replay.dropDeploymentsToDeletedEnvironments()
        let duration = ContinuousClock.now - started
        logger.info("recovered", metadata: [
            "recovery.snapshot": "\(loaded?.1.path ?? "none")", "recovery.snapshot_sequence": "\(snapshotSequence)",
            "recovery.events_replayed": "\(applied - snapshotSequence)", "recovery.last_sequence": "\(applied)",
            "recovery.duration_ms": "\(duration.milliseconds)",
        ])
        configuration.metrics.recoveryDuration.record(duration.seconds)
        configuration.metrics.recoveryReplayed.record(Int64(applied - snapshotSequence))
        let journal = NodeJournal(following: applied, lastRecord: lastRecord)
        let tracker = Tracker(shardCount: configuration.shardCount, journal: journal, clock: configuration.clock,
                              state: replay.state)
        await running.start(tracker: tracker, journal: journal, lastSnapshot: snapshotSequence)
        try await onServe(tracker, self)
        return Incarnation(tracker: tracker, journal: journal, snapshots: Task { await self.periodicSnapshots() })
    }

    /// Follows the journal until this node holds the owner's lock; returns the new epoch.
    private func standBy(_ connection: PostgresConnection, _ incarnation: Incarnation) async throws -> Int64 {
        let bell = Doorbell()
        let listener = Task {
            try await connection.listen(on: "versioner_journal") { notifications in
                for try await _ in notifications { bell.ring() }
            }
        }
        defer { listener.cancel() }
        var lastHeartbeat = ContinuousClock.now - configuration.heartbeatInterval
        var announced = false
        while true {
            if Task.isShuttingDownGracefully { throw CancellationError() }
            if try await tryOwnerLock(connection) {
                return try await takeOwnership(connection)
            }
            // How far behind this node was when woken: what a takeover now would have to replay.
            let end = try await journalEnd(connection)
            configuration.metrics.followLag.record(Int64(end > incarnation.journal.lastSequence ? end - incarnation.journal.lastSequence : 0))
            try await follow(connection, incarnation)
            let owner = try await ownerRow(connection)
            let applied = incarnation.journal.lastSequence
            report {
                $0.role = .standby
                $0.epoch = 0
                $0.applied = applied
                $0.journalEnd = max(end, applied)
                $0.ownerNode = owner.node
                $0.ownerURL = owner.url
            }
            if !announced {
                logger.notice("standing by: another node owns the journal", metadata: ["owner": "\(owner.node ?? "?")"])
                announced = true
            }
            if let age = owner.heartbeatAge, age > configuration.heartbeatTimeout.seconds {
                try await endStalledOwner(connection, age: age, node: owner.node)
            }
            if ContinuousClock.now - lastHeartbeat >= configuration.heartbeatInterval {
                try await heartbeat(connection, role: "standby", epoch: 0, applied: applied)
                lastHeartbeat = ContinuousClock.now
            }
            await bell.wait(timeout: configuration.pollInterval)
        }
    }

    /// Applies every record after this node's position to its tracker, in order.
    private func follow(_ connection: PostgresConnection, _ incarnation: Incarnation) async throws {
        let journal = incarnation.journal
        try await readRecords(connection, after: journal.lastSequence) { sequence, change, record in
            await incarnation.tracker.follow(change, sequence: sequence) { journal.markApplied(sequence, record: record) }
        }
        configuration.metrics.appliedSequence.record(Int64(journal.lastSequence))
    }

    /// Reads the records after `position`, in order, checking that none is missing.
    private func readRecords(_ connection: PostgresConnection, after position: UInt64,
                             _ body: (UInt64, StateChange, [UInt8]) async throws -> Void) async throws {
        var last = position
        while true {
            let rows = try await connection.run(
                "SELECT seq, record FROM versioner_journal WHERE seq > \(Int64(last)) ORDER BY seq LIMIT 10000",
                logger: logger)
            var count = 0
            for try await (sequence, record) in rows.decode((Int64, ByteBuffer).self) {
                guard UInt64(sequence) == last + 1 else {
                    throw JournalError("the journal has a gap: record \(sequence) follows \(last)")
                }
                let bytes = Array(buffer: record)
                let (_, change) = try JournalRecordCodec.decode(bytes)
                try await body(UInt64(sequence), change, bytes)
                last = UInt64(sequence)
                count += 1
            }
            if count < 10000 { break }
        }
    }

    /// Owns the journal from where `incarnation` stands, until shutdown (returns true) or a
    /// journal failure (returns false; reads go on from memory meanwhile).
    private func serve(_ connection: PostgresConnection, _ incarnation: Incarnation, epoch: Int64) async throws -> Bool {
        let metrics = configuration.metrics
        let applied = incarnation.journal.lastSequence
        let journal = PostgresJournal(after: applied, epoch: epoch, clock: configuration.clock, metrics: metrics)
        incarnation.journal.own(journal)
        let logger = self.logger
        let writer = Task { try await journal.runWriter(on: connection, logger: logger) }
        // The session's end is the lock's end: from then on nothing may be acknowledged.
        connection.closeFuture.whenComplete { _ in journal.fail("the journal's database connection closed") }
        let heartbeats = Task { await self.ownerHeartbeats(connection, journal: journal) }
        metrics.owner.record(1)
        metrics.epoch.record(epoch)
        report {
            $0.role = .owner
            $0.epoch = epoch
            $0.applied = applied
            $0.journalEnd = applied
            $0.ownerNode = configuration.nodeName
            $0.ownerURL = configuration.advertiseURL
        }
        logger.notice("owning the journal", metadata: ["epoch": "\(epoch)", "journal.last_sequence": "\(applied)"])
        do {
            try await onOwn(incarnation.tracker)
        } catch {
            journal.fail("could not start serving: \(error)")
        }
        await withGracefulShutdownHandler {
            await journal.ended()
        } onGracefulShutdown: {
            journal.close()
        }
        heartbeats.cancel()
        metrics.owner.record(0)
        metrics.epoch.record(0)
        if let failure = journal.failure {
            logger.error("the journal failed: writes answer 503 until it is back", metadata: ["error": "\(failure)"])
            report { $0.role = .disconnected }
            // Closing the connection fails whatever still waits on it (the writer, a heartbeat),
            // so that nothing is left behind on it; this node stays away from it from now on.
            closeNow(connection)
            return false
        }
        _ = await (writer.result, heartbeats.value)
        incarnation.snapshots.cancel()
        if await running.changesSinceSnapshot() > 0 {
            let info = try await takeSnapshot()
            logger.info("final snapshot written", metadata: ["snapshot.path": "\(info.path)", "snapshot.sequence": "\(info.sequence)"])
        }
        logger.info("journal closed", metadata: ["journal.last_sequence": "\(journal.durableSequence)"])
        return true
    }

    /// Every heartbeat interval: proves ownership (the owner row still carries this epoch) and
    /// says so in the nodes table; fails the journal the moment either does not hold.
    private func ownerHeartbeats(_ connection: PostgresConnection, journal: PostgresJournal) async {
        while !Task.isCancelled {
            do {
                var held = false
                for try await _ in try await connection.run(
                    "UPDATE versioner_owner SET heartbeat_at = now() WHERE id = 1 AND epoch = \(journal.epoch) RETURNING epoch",
                    logger: logger).decode(Int64.self) {
                    held = true
                }
                guard held else {
                    journal.fail("fenced: another node owns the journal now (epoch \(journal.epoch) is stale)")
                    return
                }
                let applied = journal.durableSequence
                try await heartbeat(connection, role: "owner", epoch: journal.epoch, applied: applied)
                configuration.metrics.appliedSequence.record(Int64(applied))
                report {
                    $0.applied = applied
                    $0.journalEnd = applied
                }
                try await Task.sleep(for: configuration.heartbeatInterval)
            } catch is CancellationError {
                return
            } catch {
                journal.fail("the journal's database connection failed: \(reason(error))")
                return
            }
        }
    }

    private func periodicSnapshots() async {
        await running.periodically(every: configuration.snapshotEvery, orAfter: configuration.snapshotInterval, logger: logger,
                                   tick: { try await Task.sleep(for: .seconds(1)) },
                                   take: { _ = try await self.takeSnapshot() })
    }

    /// Writes a snapshot now and keeps the newest `keepSnapshots`. The journal in the database
    /// is never pruned: other nodes start from it.
    public func takeSnapshot() async throws -> SnapshotInfo {
        try await running.write(to: configuration.directory.snapshots, keep: configuration.keepSnapshots,
                                metrics: configuration.metrics, logger: logger)
    }

    // MARK: The database

    /// The first of the URL's hosts that accepts writes (a standby answers `pg_is_in_recovery()`
    /// true, and is passed over).
    private func connectToPrimary() async throws -> PostgresConnection {
        var problems: [String] = []
        for host in configuration.location.hosts {
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration.location.configuration(of: host),
                    id: 1, logger: logger
                ).get()
            } catch {
                problems.append("\(host.name):\(host.port): \(reason(error))")
                continue
            }
            do {
                var standby = true
                for try await value in try await connection.run("SELECT pg_is_in_recovery()", logger: logger).decode(Bool.self) {
                    standby = value
                }
                if !standby { return connection }
                problems.append("\(host.name):\(host.port): a standby (read-only)")
            } catch {
                problems.append("\(host.name):\(host.port): \(reason(error))")
            }
            try? await connection.close()
        }
        throw PostgresUnreachable(description: problems.joined(separator: "; "))
    }

    /// Whether the journal still holds, at this node's position, the very record it followed
    /// there (true when there is nothing to compare: no record followed yet).
    private func journalHoldsLastRecord(of incarnation: Incarnation, _ connection: PostgresConnection) async throws -> Bool {
        guard let followed = incarnation.journal.lastFollowedRecord else { return true }
        let position = Int64(incarnation.journal.lastSequence)
        for try await record in try await connection.run(
            "SELECT record FROM versioner_journal WHERE seq = \(position)", logger: logger).decode(ByteBuffer.self) {
            return Array(buffer: record) == followed
        }
        return false
    }

    private func journalEnd(_ connection: PostgresConnection) async throws -> UInt64 {
        var end: Int64 = 0
        for try await value in try await connection.run(
            "SELECT coalesce(max(seq), 0)::int8 FROM versioner_journal", logger: logger).decode(Int64.self) {
            end = value
        }
        return UInt64(end)
    }

    private func tryOwnerLock(_ connection: PostgresConnection) async throws -> Bool {
        var acquired = false
        for try await value in try await connection.run(
            "SELECT pg_try_advisory_lock(\(PostgresSchema.lockClass), \(PostgresSchema.ownerLock))", logger: logger).decode(Bool.self) {
            acquired = value
        }
        return acquired
    }

    /// Bumps the epoch: from this commit on, no append of an earlier owner can pass its check.
    private func takeOwnership(_ connection: PostgresConnection) async throws -> Int64 {
        var epoch: Int64 = 0
        for try await value in try await connection.run("""
            UPDATE versioner_owner SET epoch = epoch + 1, node = \(configuration.nodeName), url = \(configuration.advertiseURL),
                pid = pg_backend_pid(), acquired_at = now(), heartbeat_at = now()
            WHERE id = 1 RETURNING epoch
            """, logger: logger).decode(Int64.self) {
            epoch = value
        }
        return epoch
    }

    private func ownerRow(_ connection: PostgresConnection) async throws -> (node: String?, url: String?, heartbeatAge: Double?) {
        for try await (node, url, age) in try await connection.run(
            "SELECT node, url, extract(epoch FROM now() - heartbeat_at)::float8 FROM versioner_owner WHERE id = 1",
            logger: logger).decode((String?, String?, Double?).self) {
            return (node, url, age)
        }
        return (nil, nil, nil)
    }

    /// Ends the database session that holds the owner's lock, if the owner row still names that
    /// session and its heartbeat is still stale — checked in the same statement, so that two
    /// standbys that both saw a stale heartbeat never end the session of the one that took over.
    private func endStalledOwner(_ connection: PostgresConnection, age: Double, node: String?) async throws {
        let timeout = configuration.heartbeatTimeout.seconds
        // MATERIALIZED: the stale session is found first, and only it is ended (the planner
        // must not call pg_terminate_backend on rows before every condition has held).
        for try await pid in try await connection.run("""
            WITH stalled AS MATERIALIZED (
                SELECT l.pid FROM pg_locks AS l JOIN versioner_owner AS o ON o.id = 1 AND o.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted
                    AND l.classid = \(Int64(PostgresSchema.lockClass))::oid AND l.objid = \(Int64(PostgresSchema.ownerLock))::oid
                    AND l.objsubid = 2 AND o.heartbeat_at < now() - make_interval(secs => \(timeout)))
            SELECT pid FROM stalled WHERE pg_terminate_backend(pid)
            """, logger: logger).decode(Int32.self) {
            logger.warning("the owner stopped heartbeating; ended its database session to take over", metadata: [
                "owner": "\(node ?? "?")", "heartbeat_age_s": "\(age)", "postgres.pid": "\(pid)",
            ])
        }
    }

    private func heartbeat(_ connection: PostgresConnection, role: String, epoch: Int64, applied: UInt64) async throws {
        try await connection.run("""
            INSERT INTO versioner_nodes (name, url, role, epoch, applied, started_at, heartbeat_at)
            VALUES (\(configuration.nodeName), \(configuration.advertiseURL), \(role), \(epoch), \(Int64(applied)), now(), now())
            ON CONFLICT (name) DO UPDATE SET url = excluded.url, role = excluded.role, epoch = excluded.epoch,
                applied = excluded.applied, heartbeat_at = excluded.heartbeat_at
            """, logger: logger)
    }

    /// The cluster as the database lists it, read on a connection of its own.
    public func cluster() async throws -> ClusterView {
        let connection = try await connectToPrimary()
        do {
            let view = try await cluster(on: connection)
            try? await connection.close()
            return view
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func cluster(on connection: PostgresConnection) async throws -> ClusterView {
        var view = ClusterView(ownerNode: nil, ownerURL: nil, epoch: 0, journalEnd: try await journalEnd(connection), members: [])
        for try await (node, url, epoch) in try await connection.run(
            "SELECT node, url, epoch FROM versioner_owner WHERE id = 1", logger: logger).decode((String?, String?, Int64).self) {
            (view.ownerNode, view.ownerURL, view.epoch) = (node, url, epoch)
        }
        for try await (name, url, role, epoch, applied, age) in try await connection.run("""
            SELECT name, url, role, epoch, applied, extract(epoch FROM now() - heartbeat_at)::float8
            FROM versioner_nodes ORDER BY name
            """, logger: logger).decode((String, String?, String, Int64, Int64, Double).self) {
            view.members.append(ClusterMember(name: name, url: url, role: role, epoch: epoch, applied: UInt64(applied), heartbeatAge: age))
        }
        return view
    }

    // MARK: Helpers

    private func report(_ change: (inout NodeStatus) -> Void) {
        let (before, after) = reported.withLock { status -> (NodeStatus, NodeStatus) in
            let before = status
            change(&status)
            return (before, status)
        }
        if before != after { onStatus(after) }
    }

    /// Sleeps, or throws once the server begins to shut down.
    private func pause(_ duration: Duration) async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }
}

/// Closes a connection without waiting for the server to agree (it may be gone).
private func closeNow(_ connection: PostgresConnection) {
    connection.close().whenComplete { _ in }
}

/// Wakes one waiter, early (a notification) or at its timeout; a ring with nobody waiting is kept
/// for the next wait.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    func wait(timeout: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.ring()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
