/// The product as the server knew it at a past instant (docs/API.md §10, "history as it was"):
/// only events recorded by then count. Every deployment's and build's events are kept, so a
/// record touched after the instant is rebuilt from its events up to it; one untouched since is
/// read as it is.
extension ProductState {
    /// The deployment at `position` as it stood at `instant`; nil when its first event came later.
    public func deployment(at position: Int, asOf instant: Timestamp) -> Deployment? {
        let deployment = deployments[position]
        return rebuilt(deployment, asOf: instant) { event in
            guard case .deployment(let e) = event, e.deploymentID == deployment.id else { return nil }
            return e.input
        }
    }

    /// The build as it stood at `instant`; nil when its first event came later.
    public func build(_ build: Build, asOf instant: Timestamp) -> Build? {
        rebuilt(build, asOf: instant) { event in
            guard case .build(let e) = event, e.buildID == build.id else { return nil }
            return e.input
        }
    }

    /// `record` as its events recorded by `instant` (those `input` picks out) left it, laid over
    /// each other as ``apply(_:environmentExists:)`` does; nil when none was recorded by then.
    private func rebuilt<Record: EventRecord>(_ record: Record, asOf instant: Timestamp,
                                              input: (LoggedEvent) -> EventInput<Record.Field>?) -> Record? {
        if record.createdAt > instant { return nil }
        if record.lastRecordedAt <= instant { return record }
        var result: Record?
        // Its events are the log's between its id (issued just before its first event's: ids
        // ascend with the log) and its last event's, not the whole log.
        let start = events.partitionPoint { $0.id > record.id }
        for event in events[start...] {
            if event.id > record.lastEventID { break }
            guard event.recordedAt <= instant, let given = input(event) else { continue }
            if result == nil {
                result = record
                result!.details = RecordDetails(of: given)
                result!.createdAt = event.recordedAt
            } else {
                result!.details.lay(given)
            }
            result!.lastEventID = event.id
            result!.lastRecordedAt = event.recordedAt
            if given.status.isTerminal, given.completedAt == nil { result!.details.completedAt = event.recordedAt }
        }
        return result
    }

    /// Each environment's current and latest deployment at `instant`, by the same rule as now
    /// (the one that completed last, the attempt that started last, by their own times), among
    /// the deployments known then; only the environments `allowed` admits.
    public func environmentSlots(asOf instant: Timestamp, allowed: (EntityID) -> Bool) -> [EntityID: (current: Deployment?, latest: Deployment)] {
        var result: [EntityID: (current: Deployment?, latest: Deployment)] = [:]
        forEachSlot(asOf: instant, where: allowed) { result[$0] = ($1, $2) }
        return result
    }

    /// Hands `body` each environment `allowed` admits that had deployments at `instant`, with
    /// its current and latest deployment then (as ``environmentSlots(asOf:allowed:)``, without
    /// building a dictionary of them).
    public func forEachSlot(asOf instant: Timestamp, where allowed: (EntityID) -> Bool,
                            _ body: (_ environmentID: EntityID, _ current: Deployment?, _ latest: Deployment) -> Void) {
        for environmentID in slotEnvironmentIDs where allowed(environmentID) {
            let positions = deploymentPositions(environmentID: environmentID)
            let index = instantTimes(environmentID: environmentID)
            let times = index.times
            // Ties go to the later position, as the slots of now do.
            var latest: (moment: Timestamp, position: Int)?
            var current: (completion: Timestamp, position: Int)?
            func note(_ position: Int, moment: Timestamp) {
                if latest.map({ (moment, position) > ($0.moment, $0.position) }) ?? true { latest = (moment, position) }
            }
            func note(_ position: Int, completion: Timestamp) {
                if completion > .leastTime, current.map({ (completion, position) > ($0.completion, $0.position) }) ?? true {
                    current = (completion, position)
                }
            }
            // Deployments are not known in position order (an import records history at its
            // own recording times), so every block is looked at; only a deployment that
            // received an event after the instant is rebuilt from its events.
            var rebuilt: [Int: Deployment] = [:]
            for (number, block) in index.blocks.enumerated() where block.firstCreated <= instant {
                if block.lastRecorded <= instant {
                    note(positions[Int(block.latest)], moment: times[Int(block.latest)].moment)
                    if block.current >= 0 { note(positions[Int(block.current)], completion: times[Int(block.current)].completion) }
                    continue
                }
                for entry in index.indices(ofBlock: number) where times[entry].createdAt <= instant {
                    let position = positions[entry]
                    guard times[entry].lastRecordedAt > instant else {
                        note(position, moment: times[entry].moment)
                        note(position, completion: times[entry].completion)
                        continue
                    }
                    guard let then = deployment(at: position, asOf: instant) else { continue }
                    rebuilt[position] = then
                    let times = DeploymentTimes(then)
                    note(position, moment: times.moment)
                    note(position, completion: times.completion)
                }
            }
            if let latest {
                body(environmentID, current.map { rebuilt[$0.position] ?? deployments[$0.position] },
                     rebuilt[latest.position] ?? deployments[latest.position])
            }
        }
    }
}

/// A deployment or a build: a record its events are laid over.
protocol EventRecord {
    associatedtype Field: EventField
    var id: EntityID { get }
    var details: RecordDetails<Field> { get set }
    var createdAt: Timestamp { get set }
    var lastEventID: EntityID { get set }
    var lastRecordedAt: Timestamp { get set }
}

extension Deployment: EventRecord {}
extension Build: EventRecord {}
