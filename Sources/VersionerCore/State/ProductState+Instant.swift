/// The product as the server knew it at a past instant (docs/API.md §10, "history as it was"):
/// only events recorded by then count. Every deployment's and build's events are kept, so a
/// record touched after the instant is rebuilt from its events up to it; one untouched since is
/// read as it is.
extension ProductState {
    /// The deployment at `position` as it stood at `instant`; nil when its first event came later.
    public func deployment(at position: Int, asOf instant: Timestamp) -> Deployment? {
        let deployment = deployments[position]
        if deployment.createdAt > instant { return nil }
        if deployment.lastRecordedAt <= instant { return deployment }
        var rebuilt: Deployment?
        for event in events where event.recordedAt <= instant {
            guard case .deployment(let e) = event, e.deploymentID == deployment.id else { continue }
            if rebuilt == nil {
                rebuilt = Deployment(id: deployment.id, productID: deployment.productID, versionID: deployment.versionID,
                                     environmentID: deployment.environmentID, details: RecordDetails(of: e.input),
                                     createdAt: e.recordedAt, lastEventID: e.eventID, lastRecordedAt: e.recordedAt)
            } else {
                rebuilt!.details.lay(e.input)
                rebuilt!.lastEventID = e.eventID
                rebuilt!.lastRecordedAt = e.recordedAt
            }
            if e.input.status.isTerminal, e.input.completedAt == nil { rebuilt!.completedAt = e.recordedAt }
        }
        return rebuilt
    }

    /// The build as it stood at `instant`; nil when its first event came later.
    public func build(_ build: Build, asOf instant: Timestamp) -> Build? {
        if build.createdAt > instant { return nil }
        if build.lastRecordedAt <= instant { return build }
        var rebuilt: Build?
        for event in events where event.recordedAt <= instant {
            guard case .build(let e) = event, e.buildID == build.id else { continue }
            if rebuilt == nil {
                rebuilt = Build(id: build.id, productID: build.productID, versionID: build.versionID, details: RecordDetails(of: e.input),
                                createdAt: e.recordedAt, lastEventID: e.eventID, lastRecordedAt: e.recordedAt)
            } else {
                rebuilt!.details.lay(e.input)
                rebuilt!.lastEventID = e.eventID
                rebuilt!.lastRecordedAt = e.recordedAt
            }
            if e.input.status.isTerminal, e.input.completedAt == nil { rebuilt!.completedAt = e.recordedAt }
        }
        return rebuilt
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
