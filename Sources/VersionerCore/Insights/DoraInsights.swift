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
    /// Each sample in hours, in no particular order.
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
}

/// The answer of `GET /insights/dora/`.
public struct DoraInsights: Hashable, Sendable, ProductTally {
    public var query: DoraQuery
    /// The products with a counted deployment, and the environments in scope, by name.
    public var products: Set<String> = []
    public var totals = DoraFigures()
    public var buckets: [DoraFigures]
    /// The counted deployments that are change failures, and those that are rework.
    public var failureIDs: [EntityID] = []
    public var reworkIDs: [EntityID] = []

    /// Completed deployments per day of the window; nil for an empty window.
    public var deploymentsPerDay: Double? {
        let days = query.window.days
        return days > 0 ? Double(totals.completed) / days : nil
    }

    init(query: DoraQuery) {
        self.query = query
        self.buckets = Array(repeating: DoraFigures(), count: query.window.bucketStarts.count)
    }

    static let day: Int64 = 86_400_000_000

    /// Adds the figures of one product.
    mutating func count(_ state: ProductState) {
        let window = query.window
        let deployments = state.deployments
        // Each version's first completion in each environment (by version position), as the
        // environments' histories mark them.
        var firstCompletions: [(version: Int32, time: Timestamp)] = []
        var productCounted = false
        var failure: [Bool] = []
        for environmentID in query.environmentIDs {
            let finished = state.finishedPositions(environmentID: environmentID)
            guard !finished.isEmpty else { continue }
            // Which finished deployments are change failures: failed, or completed and replaced
            // within 24 hours by a rollback or a hotfix (the next completed deployment here).
            failure.removeAll(keepingCapacity: true)
            failure.append(contentsOf: repeatElement(false, count: finished.count))
            var next: Int? = nil  // the position of the next completed deployment
            for index in finished.indices.reversed() {
                let position = Int(finished[index])
                if deployments[position].status == .failed {
                    failure[index] = true
                    continue
                }
                if let next {
                    failure[index] = deployments[next].completedAt!.microseconds
                        - deployments[position].completedAt!.microseconds <= Self.day
                        && (state.isRollback(at: next) || state.isHotfix(at: next))
                }
                next = position
            }
            var previousCompleted: Timestamp?
            for index in finished.indices {
                let position = Int(finished[index])
                let (status, time) = (deployments[position].status, deployments[position].completedAt!)
                if state.isFirstCompletion(at: position) {
                    firstCompletions.append((Int32(state.versionPosition(ofDeploymentAt: position)), time))
                }
                guard let bucket = window.bucket(of: time) else { continue }
                productCounted = true
                totals.counted += 1
                buckets[bucket].counted += 1
                if status == .completed {
                    totals.completed += 1
                    buckets[bucket].completed += 1
                    if let previousCompleted { totals.gaps.append(previousCompleted.hours(until: time)) }
                    previousCompleted = time
                }
                if failure[index] {
                    totals.failures += 1
                    buckets[bucket].failures += 1
                    failureIDs.append(deployments[position].id)
                    // Recovery: the next completed deployment here that is not itself a failure.
                    var later = index + 1
                    while later < finished.count, deployments[Int(finished[later])].status != .completed || failure[later] {
                        later += 1
                    }
                    if later < finished.count {
                        let hours = time.hours(until: deployments[Int(finished[later])].completedAt!)
                        totals.recoveryTimes.append(hours)
                        buckets[bucket].recoveryTimes.append(hours)
                    }
                }
                if state.isRollback(at: position) || state.isHotfix(at: position) {
                    totals.rework += 1
                    buckets[bucket].rework += 1
                    reworkIDs.append(deployments[position].id)
                }
            }
        }
        // Change lead time: each version whose first completed deployment in scope falls in
        // the window, from its first evidence to that completion. With several environments
        // in scope a version can have a first completion in each: the earliest counts.
        if query.environmentIDs.count > 1 {
            firstCompletions.sort { ($0.version, $0.time) < ($1.version, $1.time) }
        }
        var previousVersion: Int32 = -1
        for (version, completion) in firstCompletions where version != previousVersion {
            previousVersion = version
            guard let bucket = window.bucket(of: completion) else { continue }
            let evidence = state.firstEvidence(ofVersionAt: Int(version))
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
        failureIDs.sort()
        reworkIDs.sort()
    }
}
