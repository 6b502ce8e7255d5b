/// One product's finished deployments to one environment in the order they finished: what
/// rollback detection and the DORA figures read, kept as events are applied.
///
/// Order comes from the deployments' own completion times, never from their version strings
/// (any versioning scheme is allowed).
struct EnvironmentHistory: Sendable {
    /// Positions of the completed and failed deployments, by (`completed_at`, id).
    private(set) var finished: [Int32] = []
    /// Each version's first completed deployment here (its position: the time is the
    /// deployment's `completed_at`).
    private var firstCompleted: [EntityID: Int32] = [:]
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
            note(position, in: deployments)
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

    /// Notes a finished deployment; returns the position of the deployment it replaces as its
    /// version's first completion here, if any.
    @discardableResult
    private mutating func note(_ position: Int, in deployments: [Deployment]) -> Int? {
        let deployment = deployments[position]
        guard deployment.status == .completed, let time = deployment.completedAt else { return nil }
        guard let first = firstCompleted[deployment.versionID] else {
            firstCompleted[deployment.versionID] = Int32(position)
            return nil
        }
        guard time < completion(at: first, in: deployments) else { return nil }
        firstCompleted[deployment.versionID] = Int32(position)
        return Int(first)
    }

    private func completion(at position: Int32, in deployments: [Deployment]) -> Timestamp {
        deployments[Int(position)].completedAt!
    }

    /// Whether the deployment at `position` is its version's first completed deployment here.
    func isFirstCompletion(_ position: Int, in deployments: [Deployment]) -> Bool {
        firstCompleted[deployments[position].versionID] == Int32(position)
    }

    /// Adds a deployment that has just finished (usually the newest, so appended); returns the
    /// position of the deployment it replaces as its version's first completion here, if any.
    mutating func insert(_ position: Int, in deployments: [Deployment]) -> Int? {
        let deployment = deployments[position]
        var index = finished.count
        while index > 0, Self.precedes(deployment, deployments[Int(finished[index - 1])]) { index -= 1 }
        finished.insert(Int32(position), at: index)
        return note(position, in: deployments)
    }

    /// Whether the deployment at `position` is a rollback: its version W had completed a
    /// deployment here before the version running here when it was deployed (``moment(of:)``)
    /// had. The running version is that of the last deployment completed before that moment.
    func isRollback(_ position: Int, in deployments: [Deployment]) -> Bool {
        let deployment = deployments[position]
        let moment = Self.moment(of: deployment)
        guard let mine = firstCompleted[deployment.versionID].map({ completion(at: $0, in: deployments) }), mine < moment
        else { return false }
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
        guard running != deployment.versionID, let theirs = firstCompleted[running].map({ completion(at: $0, in: deployments) })
        else { return false }
        return mine < theirs
    }
}
