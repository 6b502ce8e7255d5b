import Logging
import VersionerCore

/// What recovery did.
public struct RecoveryReport: Sendable {
    /// The snapshot recovery started from, if any.
    public var snapshot: SnapshotInfo?
    /// Journal records applied after the snapshot.
    public var replayed = 0
    /// The sequence number of the last change the recovered state holds.
    public var lastSequence: UInt64 = 0
    /// A torn record at the end of the journal that was cut off (or, without `cutTornTail`, found).
    public var tornTail: JournalDamage?
    /// With `stopAt`, the first record left out and the time it was journaled.
    public var stoppedBefore: (sequence: UInt64, time: Timestamp)?
    public var duration: Duration = .zero
}

/// Rebuilds the state from the newest snapshot that verifies and the journal after it.
public enum Recovery {
    /// Stops a replay at the first record journaled after a point in time.
    struct StopReplay: Error {
        let sequence: UInt64
        let time: Timestamp
    }

    /// - Parameters:
    ///   - snapshotPath: start from this snapshot file instead of the newest in the data directory.
    ///   - stopAt: replay only records journaled at or before this time (point-in-time restore).
    ///   - cutTornTail: truncate a torn last record (what a starting server does).
    public static func recover(_ directory: DataDirectory, snapshotPath: String? = nil, stopAt: Timestamp? = nil,
                               cutTornTail: Bool, logger: Logger) throws -> (TrackerState, RecoveryReport) {
        let start = ContinuousClock.now
        var report = RecoveryReport()
        var replay: ReplayState
        if let snapshotPath {
            let loaded = try SnapshotStore.load(snapshotPath)
            report.snapshot = SnapshotInfo(path: snapshotPath, header: loaded.header, fileBytes: PosixFile.size(snapshotPath) ?? 0)
            replay = ReplayState(loaded)
        } else if let (loaded, info) = try SnapshotStore.loadNewestValid(directory.snapshots, logger: logger) {
            report.snapshot = info
            replay = ReplayState(loaded)
        } else {
            replay = ReplayState()
        }
        let floor = replay.floor
        do {
            let scan = try JournalReader.scan(directory: directory.journal, after: floor) { sequence, time, change in
                if let stopAt, time > stopAt { throw StopReplay(sequence: sequence, time: time) }
                replay.apply(change, sequence: sequence)
                report.replayed += 1
            }
            report.lastSequence = max(floor, scan.lastSequence ?? 0)
            if let torn = scan.tornTail {
                report.tornTail = torn
                if cutTornTail {
                    if torn.offset < JournalFormat.headerSize {
                        try PosixFile.remove(torn.path)  // not even a whole header: the segment holds nothing
                    } else {
                        try PosixFile.truncate(torn.path, to: torn.offset)
                    }
                    logger.warning("cut a torn record off the end of the journal (a crash during a write; it was never acknowledged)",
                                   metadata: ["journal.segment": "\(torn.path)", "journal.offset": "\(torn.offset)",
                                              "journal.reason": "\(torn.reason)"])
                }
            }
        } catch let stop as StopReplay {
            report.stoppedBefore = (stop.sequence, stop.time)
            report.lastSequence = stop.sequence - 1
        }
        replay.dropDeploymentsToDeletedEnvironments()
        report.duration = ContinuousClock.now - start
        return (replay.state, report)
    }
}

/// A state being rebuilt: applies each journaled change only to the parts of a snapshot that do
/// not hold it yet (each part of a snapshot was copied at its own sequence). Any journal's
/// records replay through it, in sequence order.
public struct ReplayState: Sendable {
    public private(set) var state: TrackerState
    let catalogSequence: UInt64
    let productSequences: [EntityID: UInt64]
    /// The deliveries the snapshot owes. Its outbox was copied after its other parts, so it may
    /// owe deliveries of events replayed after it: those are not owed twice.
    let owedInSnapshot: Set<EntityID>
    /// Every change up to here is in the snapshot.
    public let floor: UInt64

    /// An empty state.
    public init() {
        state = TrackerState()
        catalogSequence = 0
        productSequences = [:]
        owedInSnapshot = []
        floor = 0
    }

    /// The state a snapshot holds.
    public init(_ snapshot: LoadedSnapshot) {
        state = snapshot.state
        catalogSequence = snapshot.catalogSequence
        productSequences = snapshot.productSequences
        owedInSnapshot = Set(snapshot.state.outbox.pending.map(\.id))
        floor = snapshot.header.sequence
    }

    /// A snapshot copies each product at a moment of its own. One copied after an environment's
    /// deletion was journaled, but before its shard had dropped the deployments to it, keeps
    /// them, and the deletion is not replayed for it (it is older than the product's copy). No
    /// deployment outlives its environment, so those are dropped here.
    public mutating func dropDeploymentsToDeletedEnvironments() {
        let environments = state.catalog.environments
        for productID in Array(state.products.keys) {
            for environmentID in state.products[productID]!.deployedEnvironmentIDs where environments[environmentID] == nil {
                state.products[productID]!.removeDeployments(environmentID: environmentID)
            }
        }
    }

    /// Applies the change journaled at `sequence` where the snapshot does not hold it yet.
    public mutating func apply(_ change: StateChange, sequence: UInt64) {
        switch change {
        case .environmentSaved(let environment):
            if sequence > catalogSequence { state.catalog.apply(environment) }
        case .apiKeySaved(let key):
            if sequence > catalogSequence { state.catalog.apply(key) }
        case .ruleSaved(let rule):
            if sequence > catalogSequence { state.catalog.apply(rule) }
        case .ruleDeleted(let id):
            if sequence > catalogSequence { state.catalog.removeRule(id) }
        case .approvalSaved(let approval):
            applyToProduct(approval.productID, change, sequence)
        case .approvalDeleted(_, let productID):
            applyToProduct(productID, change, sequence)
        case .environmentDeleted(let id):
            if sequence > catalogSequence { state.catalog.removeEnvironment(id) }
            // Dropping the deployments to a deleted environment is idempotent: apply it everywhere.
            state.products.apply(change, environmentExists: { _ in false })
        case .deploymentEvent(let event):
            applyToProduct(event.productID, change, sequence)
            // Noting a request again is harmless: a snapshot may hold it already.
            if let tag = event.request { state.requests.noteEvent(tag, subject: .deployment(event.deploymentID), at: event.recordedAt) }
            owe(event.deliveries)
        case .buildEvent(let event):
            applyToProduct(event.productID, change, sequence)
            if let tag = event.request { state.requests.noteEvent(tag, subject: .build(event.buildID), at: event.recordedAt) }
            owe(event.deliveries)
        case .requestAnswered(let answered):
            state.requests.apply(answered)
        case .webhookSaved(let webhook):
            if sequence > catalogSequence { state.catalog.apply(webhook) }
        case .webhookDeleted(let id):
            if sequence > catalogSequence { state.catalog.removeWebhook(id) }
            state.outbox.removeWebhook(id)
        // The outbox holds no sequence of its own: what it owes already is left out, and a finish
        // applies idempotently.
        case .deliveriesQueued(let deliveries):
            owe(deliveries)
        case .deliveryFinished(let outcome):
            state.outbox.finish(outcome)
        case .productSaved(let product):
            applyToProduct(product.id, change, sequence)
        case .productDeleted(let id):
            applyToProduct(id, change, sequence)
        }
    }

    private mutating func owe(_ deliveries: [PendingDelivery]) {
        guard !deliveries.isEmpty else { return }
        state.outbox.queue(owedInSnapshot.isEmpty ? deliveries : deliveries.filter { !owedInSnapshot.contains($0.id) })
    }

    private mutating func applyToProduct(_ id: EntityID, _ change: StateChange, _ sequence: UInt64) {
        guard sequence > (productSequences[id] ?? floor) else { return }
        let catalog = state.catalog
        state.products.apply(change, environmentExists: { catalog.environments[$0] != nil })
    }
}
