/// `GET /insights/dora/`: the five DORA figures of the deployments to some environments
/// (docs/API.md §7 gives each definition; every figure can be worked out by hand from
/// `/deployments/` and `/builds/`).
public struct DoraQuery: Hashable, Sendable {
    public var product: String?
    /// The environments in scope, by id.
    public var environmentIDs: Set<EntityID>
    public var window: InsightsWindow

    public init(product: String?, environmentIDs: Set<EntityID>, window: InsightsWindow) {
        self.product = product
        self.environmentIDs = environmentIDs
        self.window = window
    }
}

/// The samples behind the DORA figures of a set of deployments (the window, or one bucket).
public struct DoraFigures: Hashable, Sendable {
    /// Counted deployments: in scope, `completed` or `failed`, with `completed_at` in the window.
    public var counted = 0
    /// Counted deployments that completed.
    public var completed = 0
    public var failures = 0
    public var rework = 0
    /// Each sample in hours, ascending once ``finish()`` ran.
    public var leadTimes: [Double] = []
    public var recoveryTimes: [Double] = []
    public var gaps: [Double] = []

    public var changeFailRate: Double? { counted == 0 ? nil : Double(failures) / Double(counted) }
    public var reworkRate: Double? { counted == 0 ? nil : Double(rework) / Double(counted) }

    mutating func add(_ other: DoraFigures) {
        counted += other.counted
        completed += other.completed
        failures += other.failures
        rework += other.rework
        leadTimes += other.leadTimes
        recoveryTimes += other.recoveryTimes
        gaps += other.gaps
    }

    mutating func finish() {
        leadTimes.sort()
        recoveryTimes.sort()
        gaps.sort()
    }
}

/// The answer of `GET /insights/dora/`.
public struct DoraInsights: Hashable, Sendable {
    public var query: DoraQuery
    /// The products with a counted deployment, and the environments in scope, by name.
    public var products: Set<String> = []
    public var totals = DoraFigures()
    public var buckets: [DoraFigures]
    /// The counted deployments that are change failures, and those that are rework.
    public var failureIDs: [EntityID] = []
    public var reworkIDs: [EntityID] = []

    init(query: DoraQuery) {
        self.query = query
        self.buckets = Array(repeating: DoraFigures(), count: query.window.bucketStarts.count)
    }

    static let day: Int64 = 86_400_000_000

    /// Adds the figures of one product.
    mutating func count(_ state: ProductState) {
        let window = query.window
        var hotfixes = HotfixCheck(state: state)
        var firstCompletion: [EntityID: Timestamp] = [:]
        var productCounted = false
        for environmentID in query.environmentIDs {
            let finished = state.finishedPositions(environmentID: environmentID).map(Int.init)
            guard !finished.isEmpty else { continue }
            let deployments = state.deployments
            // Which finished deployments are change failures: failed, or completed and replaced
            // within 24 hours by a rollback or a hotfix (the next completed deployment here).
            var failure = [Bool](repeating: false, count: finished.count)
            var nextCompleted: Int? = nil
            for index in finished.indices.reversed() {
                let deployment = deployments[finished[index]]
                if deployment.status == .failed {
                    failure[index] = true
                    continue
                }
                if let next = nextCompleted {
                    let replacement = deployments[finished[next]]
                    failure[index] = replacement.completedAt!.microseconds - deployment.completedAt!.microseconds <= Self.day
                        && (state.isRollback(at: finished[next]) || hotfixes.isHotfix(replacement))
                }
                nextCompleted = index
            }
            var previousCompleted: Timestamp?
            for (index, position) in finished.enumerated() {
                let deployment = deployments[position]
                let time = deployment.completedAt!
                if deployment.status == .completed, firstCompletion[deployment.versionID].map({ time < $0 }) ?? true {
                    firstCompletion[deployment.versionID] = time
                }
                guard let bucket = window.bucket(of: time) else { continue }
                productCounted = true
                var sample = DoraFigures()
                sample.counted = 1
                if deployment.status == .completed {
                    sample.completed = 1
                    if let previousCompleted { totals.gaps.append(previousCompleted.hours(until: time)) }
                    previousCompleted = time
                }
                if failure[index] {
                    sample.failures = 1
                    failureIDs.append(deployment.id)
                    // Recovery: the next completed deployment here that is not itself a failure.
                    if let recovery = finished[(index + 1)...].indices.first(where: {
                        deployments[finished[$0]].status == .completed && !failure[$0]
                    }) {
                        sample.recoveryTimes.append(time.hours(until: deployments[finished[recovery]].completedAt!))
                    }
                }
                if state.isRollback(at: position) || hotfixes.isHotfix(deployment) {
                    sample.rework = 1
                    reworkIDs.append(deployment.id)
                }
                totals.add(sample)
                buckets[bucket].add(sample)
            }
        }
        // Change lead time: each version whose first completed deployment in scope falls in
        // the window, from its first evidence to that completion.
        for (versionID, completion) in firstCompletion {
            guard let bucket = window.bucket(of: completion), let version = state.version(id: versionID) else { continue }
            var evidence = version.createdAt
            for build in state.builds(ofVersion: versionID) {
                if let started = build.startedAt { evidence = min(evidence, started) }
                if case .string(let text)? = build.extraMetadata.member("scm_committed_at"),
                   let committed = Timestamp(rfc3339: text) {
                    evidence = min(evidence, committed)
                }
            }
            guard evidence < completion else { continue }
            let hours = evidence.hours(until: completion)
            totals.leadTimes.append(hours)
            buckets[bucket].leadTimes.append(hours)
        }
        if productCounted { products.insert(state.product.name) }
    }

    mutating func add(_ other: DoraInsights) {
        products.formUnion(other.products)
        totals.add(other.totals)
        for index in buckets.indices { buckets[index].add(other.buckets[index]) }
        failureIDs += other.failureIDs
        reworkIDs += other.reworkIDs
    }

    mutating func finish() {
        totals.finish()
        for index in buckets.indices { buckets[index].finish() }
        failureIDs.sort()
        reworkIDs.sort()
    }
}

/// Whether a deployment is a hotfix: `hotfix` among its `extra_metadata.tags` or its version's
/// builds', or `extra_metadata.hotfix` true. Each version's builds are looked at once.
struct HotfixCheck {
    let state: ProductState
    private var versions: [EntityID: Bool] = [:]

    init(state: ProductState) {
        self.state = state
    }

    mutating func isHotfix(_ deployment: Deployment) -> Bool {
        if Self.marksHotfix(deployment.extraMetadata) { return true }
        if let known = versions[deployment.versionID] { return known }
        let builds = state.builds(ofVersion: deployment.versionID).contains { Self.marksHotfix($0.extraMetadata) }
        versions[deployment.versionID] = builds
        return builds
    }

    static func marksHotfix(_ metadata: RawJSONObject) -> Bool {
        guard metadata.text.contains("hotfix") else { return false }
        if metadata.member("hotfix") == .bool(true) { return true }
        guard case .array(let tags)? = metadata.member("tags") else { return false }
        return tags.contains(.string("hotfix"))
    }
}
