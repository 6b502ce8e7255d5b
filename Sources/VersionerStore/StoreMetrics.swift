import Metrics

/// The store's metrics (journal, snapshots, recovery), through swift-metrics.
///
/// Made from a factory so that a server can hand in its Prometheus registry and a test its own;
/// the default is the process-wide `MetricsSystem` (a no-op until bootstrapped).
public struct StoreMetrics: Sendable {
    /// Metric names, shared with whoever configures histogram buckets.
    public enum Name {
        public static let journalAppends = "versioner_journal_appends_total"
        public static let fsyncDuration = "versioner_journal_fsync_duration_seconds"
        public static let batchRecords = "versioner_journal_batch_records"
        public static let snapshots = "versioner_snapshots_total"
        public static let snapshotDuration = "versioner_snapshot_duration_seconds"
        public static let snapshotSize = "versioner_snapshot_size_bytes"
        public static let recoveryDuration = "versioner_recovery_duration_seconds"
        public static let recoveryReplayed = "versioner_recovery_replayed_records"
        public static let commitDuration = "versioner_journal_commit_duration_seconds"
        public static let owner = "versioner_node_owner"
        public static let epoch = "versioner_node_epoch"
        public static let appliedSequence = "versioner_node_applied_sequence"
        public static let followLag = "versioner_node_follow_lag_records"
    }

    /// What each of the store's metrics measures: the `# HELP` line of its family.
    public static let help: [String: String] = [
        Name.journalAppends: "Records written to the write-ahead journal.",
        Name.fsyncDuration: "Time each fdatasync of the journal took, in seconds.",
        Name.batchRecords: "Records carried by each group-commit write of the journal.",
        Name.snapshots: "Snapshots written.",
        Name.snapshotDuration: "Time each snapshot took to write, in seconds.",
        Name.snapshotSize: "Size of the newest snapshot file, in bytes.",
        Name.recoveryDuration: "Time the last start's recovery took, in seconds.",
        Name.recoveryReplayed: "Journal records the last start's recovery replayed after its snapshot.",
        Name.commitDuration: "Time each group commit to the PostgreSQL journal took, in seconds.",
        Name.owner: "1 while this node owns the PostgreSQL journal (takes writes), else 0.",
        Name.epoch: "The fencing epoch of this node's ownership (0 when it owns nothing).",
        Name.appliedSequence: "The last journal sequence this node has applied to its state.",
        Name.followLag: "Records in the PostgreSQL journal this node has not applied yet.",
    ]

    /// Records appended to the journal.
    public let journalAppends: Counter
    /// How long each `fdatasync` of the journal took.
    public let fsyncDuration: Timer
    /// How many records each group-commit write carried.
    public let batchRecords: Recorder
    public let snapshots: Counter
    public let snapshotDuration: Timer
    /// The size of the newest snapshot file.
    public let snapshotSize: Gauge
    /// How long the last start's recovery took, and how many journal records it replayed.
    public let recoveryDuration: Gauge
    public let recoveryReplayed: Gauge
    /// How long each commit to a database journal took.
    public let commitDuration: Timer
    /// This node's part in a cluster on a database journal.
    public let owner: Gauge
    public let epoch: Gauge
    public let appliedSequence: Gauge
    public let followLag: Gauge

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        journalAppends = Counter(label: Name.journalAppends, factory: factory)
        fsyncDuration = Timer(label: Name.fsyncDuration, factory: factory)
        batchRecords = Recorder(label: Name.batchRecords, aggregate: true, factory: factory)
        snapshots = Counter(label: Name.snapshots, factory: factory)
        snapshotDuration = Timer(label: Name.snapshotDuration, factory: factory)
        snapshotSize = Gauge(label: Name.snapshotSize, factory: factory)
        recoveryDuration = Gauge(label: Name.recoveryDuration, factory: factory)
        recoveryReplayed = Gauge(label: Name.recoveryReplayed, factory: factory)
        commitDuration = Timer(label: Name.commitDuration, factory: factory)
        owner = Gauge(label: Name.owner, factory: factory)
        epoch = Gauge(label: Name.epoch, factory: factory)
        appliedSequence = Gauge(label: Name.appliedSequence, factory: factory)
        followLag = Gauge(label: Name.followLag, factory: factory)
    }
}

extension Duration {
    /// The duration in seconds, as a gauge records it.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
