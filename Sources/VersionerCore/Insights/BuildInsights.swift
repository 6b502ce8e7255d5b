/// `GET /insights/builds/`: what the builds in a window say (docs/API.md §7).
public struct BuildInsightsQuery: Hashable, Sendable {
    public var product: String?
    public var branch: String?
    public var window: InsightsWindow

    public init(product: String?, branch: String?, window: InsightsWindow) {
        self.product = product
        self.branch = branch
        self.window = window
    }
}

/// Counts and durations of a set of builds (the whole window, or one bucket).
public struct BuildFigures: Hashable, Sendable {
    public var builds = 0
    public var completed = 0
    public var failed = 0
    public var aborted = 0
    public var inProgress = 0
    /// Durations in seconds of the builds that have one, in no particular order.
    public var durations: [Double] = []

    /// completed / (completed + failed); nil when neither.
    public var successRate: Double? {
        completed + failed == 0 ? nil : Double(completed) / Double(completed + failed)
    }

    mutating func count(_ status: Status, duration: Double?) {
        builds += 1
        switch status {
        case .completed: completed += 1
        case .failed: failed += 1
        case .aborted: aborted += 1
        case .pending, .started: inProgress += 1
        }
        if let duration { durations.append(duration) }
    }

    mutating func add(_ other: BuildFigures) {
        builds += other.builds
        completed += other.completed
        failed += other.failed
        aborted += other.aborted
        inProgress += other.inProgress
        durations += other.durations
    }
}

/// Figures worked out product by product, in each shard, then merged.
protocol ProductTally: Sendable {
    mutating func count(_ state: ProductState)
    mutating func add(_ other: Self)
    /// Called once on the merged result.
    mutating func finish()
}

extension ProductTally {
    mutating func finish() {}
}

/// The answer of `GET /insights/builds/`.
public struct BuildInsights: Hashable, Sendable, ProductTally {
    public var query: BuildInsightsQuery
    public var totals = BuildFigures()
    /// Distinct `scm_sha` values among the builds counted (ignoring case).
    public var commits: Set<String> = []
    /// One per bucket of the window, in order.
    public var buckets: [BuildFigures]

    init(query: BuildInsightsQuery) {
        self.query = query
        self.buckets = Array(repeating: BuildFigures(), count: query.window.bucketStarts.count)
    }

    /// Counts the builds of `state` that the query selects.
    mutating func count(_ state: ProductState) {
        // By index, reading fields in place, and the text only for a field the build has: a
        // copy of each build would retain its text buffer, a cache miss per build on a large state.
        let builds = state.builds
        for index in builds.indices {
            if let branch = query.branch, !builds[index].details.contains(.scmBranch) || builds[index][.scmBranch] != branch { continue }
            let (started, completed) = (builds[index].startedAt, builds[index].completedAt)
            guard let bucket = query.window.bucket(of: started ?? completed ?? builds[index].createdAt) else { continue }
            var duration: Double?
            if let started, let completed {
                duration = Double(completed.microseconds - started.microseconds) / 1_000_000
            } else if builds[index].details.contains(.extraMetadata) {
                duration = Self.reportedDuration(of: builds[index])
            }
            let status = builds[index].status
            totals.count(status, duration: duration)
            buckets[bucket].count(status, duration: duration)
            if builds[index].details.contains(.scmSha), let sha = builds[index].scmSha, !sha.isEmpty {
                commits.insert(sha.lowercased())
            }
        }
    }

    mutating func add(_ other: BuildInsights) {
        totals.add(other.totals)
        commits.formUnion(other.commits)
        for index in buckets.indices { buckets[index].add(other.buckets[index]) }
    }

    /// A build's duration when its times do not give one: `extra_metadata.build_duration_seconds`,
    /// when that is a number.
    public static func reportedDuration(of build: Build) -> Double? {
        guard case .number(let literal)? = build.extraMetadata.member("build_duration_seconds") else { return nil }
        return Double(literal)
    }
}

extension RawJSONObject {
    /// The value of a top-level member, parsing the text only when the key appears in it.
    func member(_ key: String) -> JSONValue? {
        guard mentions(key) else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// Whether `word` occurs anywhere in the text: a byte search, without allocating (events are
    /// checked for hotfix marks as they are applied), false at once for the empty object.
    func mentions(_ word: String) -> Bool {
        guard text.utf8.count > 2 else { return false }
        var text = self.text
        var word = word
        return text.withUTF8 { haystack in
            word.withUTF8 { needle in
                guard !needle.isEmpty, needle.count <= haystack.count else { return false }
                for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                    var matched = 1
                    while matched < needle.count, haystack[start + matched] == needle[matched] { matched += 1 }
                    if matched == needle.count { return true }
                }
                return false
            }
        }
    }
}
