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
        for event in events where event.recordedAt <= instant {
            guard let given = input(event) else { continue }
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
        for environmentID in slotEnvironmentIDs where allowed(environmentID) {
            let positions = deploymentPositions(environmentID: environmentID)
            let times = instantTimes(environmentID: environmentID)
            // Every one is looked at (an import records history at its own recording times, so
            // those known by then are not always the first), in one pass over packed times; only
            // a deployment touched after the instant is rebuilt from its events (rare).
            var rebuilt: [Int: Deployment] = [:]
            var latest: (moment: Timestamp, position: Int)?
            var current: (completion: Timestamp, position: Int)?
            for index in times.indices where times[index].createdAt <= instant {
                let position = positions[index]
                var moment = times[index].moment
                var completion = times[index].completion
                if times[index].lastRecordedAt > instant {
                    guard let then = deployment(at: position, asOf: instant) else { continue }
                    rebuilt[position] = then
                    moment = EnvironmentHistory.moment(of: then)
                    completion = then.status == .completed ? then.completedAt ?? then.lastRecordedAt : .leastTime
                }
                if latest.map({ (moment, position) > ($0.moment, $0.position) }) ?? true { latest = (moment, position) }
                if completion > .leastTime, current.map({ (completion, position) > ($0.completion, $0.position) }) ?? true {
                    current = (completion, position)
                }
            }
            if let latest {
                result[environmentID] = (current.map { rebuilt[$0.position] ?? deployments[$0.position] },
                                         rebuilt[latest.position] ?? deployments[latest.position])
            }
        }
        return result
    }
}

/// A deployment or a build: a record its events are laid over.
protocol EventRecord {
    associatedtype Field: EventField
    var details: RecordDetails<Field> { get set }
    var createdAt: Timestamp { get set }
    var lastEventID: EntityID { get set }
    var lastRecordedAt: Timestamp { get set }
}

extension Deployment: EventRecord {}
extension Build: EventRecord {}
