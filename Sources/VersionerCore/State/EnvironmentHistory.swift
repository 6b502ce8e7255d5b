/// One product's finished deployments to one environment in the order they finished: what
/// rollback detection and the DORA figures read, kept as events are applied.
///
/// Order comes from the deployments' own completion times, never from their version strings
/// (any versioning scheme is allowed).
struct EnvironmentHistory: Sendable {
    /// Positions of the completed and failed deployments, by (`completed_at`, id).
    private(set) var finished: [Int32] = []
    /// Each version's first completed deployment here: when it completed.
    private var firstCompleted: [EntityID: Timestamp] = [:]
    /// No deployment here has a later ``moment(of:)`` than this (an upper bound: a completion at
    /// or after it changes no other deployment's flag, which spares applying it a scan).
    private(set) var latestMoment = Timestamp(microseconds: .min)

    mutating func noteMoment(of deployment: Deployment) {
        latestMoment = max(latestMoment, Self.moment(of: deployment))
    }

    /// The history of `positions` (one environment's deployments), rebuilt from scratch.
    init(positions: [Int], in deployments: [Deployment]) {
        for position in positions { noteMoment(of: deployments[position]) }
        for position in positions where Self.isFinished(deployments[position]) {
            finished.append(Int32(position))
            note(deployments[position])
        }
        finished.sort { Self.precedes(deployments[Int($0)], deployments[Int($1)]) }
    }

    init() {}

    /// When a deployment happened, by its own times: its start, else its completion (an event
    /// sent afterwards, or imported, carries only that), else when it was first recorded.
    static func moment(of deployment: Deployment) -> Timestamp {
        deployment.startedAt ?? deployment.completedAt ?? deployment.createdAt
    }

    static func isFinished(_ deployment: Deployment) -> Bool {
        (deployment.status == .completed || deployment.status == .failed) && deployment.completedAt != nil
    }

    private static func precedes(_ a: Deployment, _ b: Deployment) -> Bool {
        (a.completedAt!, a.id) < (b.completedAt!, b.id)
    }

    private mutating func note(_ deployment: Deployment) {
        guard deployment.status == .completed, let time = deployment.completedAt else { return }
        if firstCompleted[deployment.versionID].map({ time < $0 }) ?? true { firstCompleted[deployment.versionID] = time }
    }

    /// Adds a deployment that has just finished (usually the newest, so appended).
    mutating func insert(_ position: Int, in deployments: [Deployment]) {
        let deployment = deployments[position]
        var index = finished.count
        while index > 0, Self.precedes(deployment, deployments[Int(finished[index - 1])]) { index -= 1 }
        finished.insert(Int32(position), at: index)
        note(deployment)
    }

    /// Whether the deployment at `position` is a rollback: its version W had completed a
    /// deployment here before the version running here when it was deployed (``moment(of:)``)
    /// had. The running version is that of the last deployment completed before that moment.
    func isRollback(_ position: Int, in deployments: [Deployment]) -> Bool {
        let deployment = deployments[position]
        let moment = Self.moment(of: deployment)
        guard let mine = firstCompleted[deployment.versionID], mine < moment else { return false }
        // The last completed deployment before `moment`, other than this one.
        var low = 0, high = finished.count
        while low < high {
            let middle = (low + high) / 2
            if deployments[Int(finished[middle])].completedAt! < moment { low = middle + 1 } else { high = middle }
        }
        var index = low - 1
        while index >= 0 {
            let candidate = deployments[Int(finished[index])]
            if candidate.status == .completed, candidate.id != deployment.id { break }
            index -= 1
        }
        guard index >= 0 else { return false }
        let running = deployments[Int(finished[index])].versionID
        guard running != deployment.versionID, let theirs = firstCompleted[running] else { return false }
        return mine < theirs
    }
}
