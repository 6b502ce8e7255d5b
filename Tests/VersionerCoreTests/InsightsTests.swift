import Testing
import VersionerCore

/// A clock that stays at one instant: versions and builds sent without times are recorded then.
struct FixedClock: WallClock {
    let time: Timestamp
    func now() -> Timestamp { time }
}

func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

/// Histories sent with their own times, recorded on 2026-06-01 (after all of them).
struct InsightsFixture {
    let fixture = TrackerFixture(clock: FixedClock(time: at("2026-06-01T00:00:00Z")))
    var tracker: Tracker { fixture.tracker }

    @discardableResult
    func deploy(_ version: String, _ status: Status, completed: String, product: String = "api",
                to environment: String = "production", metadata: RawJSONObject? = nil) async throws -> DeploymentView {
        try await tracker.record(DeploymentEventInput(
            productName: product, version: version, environmentName: environment, status: status,
            completedAt: at(completed), extraMetadata: metadata)).subject
    }

    @discardableResult
    func build(_ version: String, _ status: Status = .completed, started: String? = nil, completed: String? = nil,
               product: String = "api", sha: String? = nil, branch: String? = nil,
               metadata: RawJSONObject? = nil) async throws -> BuildView {
        try await tracker.record(BuildEventInput(
            productName: product, version: version, status: status, startedAt: started.map(at),
            completedAt: completed.map(at), extraMetadata: metadata, [.scmSha: sha, .scmBranch: branch])).subject
    }

    func dora(since: String, until: String, interval: BucketInterval = .week, tz: String = "UTC",
              environments: [String] = [], product: String? = "api") async throws -> DoraInsights {
        let window = try InsightsWindow(since: at(since), until: at(until), interval: interval, timeZone: tz)
        let scope = try await tracker.environments(named: environments, orType: .production)
        return try await tracker.dora(DoraQuery(product: product, environmentIDs: Set(scope.map(\.id)), window: window))
    }
}

func metadata(_ members: JSONMember...) -> RawJSONObject { RawJSONObject(members: members) }

@Suite("Insights")
struct InsightsTests {
    @Test("Medians and nearest-rank percentiles by selection agree with sorting, duplicates included")
    func statistics() {
        #expect(Statistics.median(of: []) == nil && Statistics.nearestRank(50, of: []) == nil)
        #expect(Statistics.median(of: [3, 1, 2]) == 2 && Statistics.median(of: [4, 1, 3, 2]) == 2.5)
        #expect(Statistics.nearestRank(50, of: [6, 5, 4, 3, 2, 1]) == 3)  // the 3rd smallest of 6
        #expect(Statistics.nearestRank(90, of: Array(stride(from: 10.0, through: 1, by: -1))) == 9)
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 7, 100, 1_001] {
            let values = (0..<count).map { _ in Double(Int.random(in: 0..<50, using: &generator)) }
            let sorted = values.sorted()
            let middle = count / 2
            let median = count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            #expect(Statistics.median(of: values) == median)
            for percent in [1, 50, 90, 99, 100] {
                #expect(Statistics.nearestRank(percent, of: values) == sorted[max(1, (percent * count + 99) / 100) - 1])
            }
        }
    }

    @Test("Rollbacks come from the environment's own history, not from version strings")
    func rollbacks() async throws {
        let history = InsightsFixture()
        // Versions named so that string order disagrees with deployment order.
        let first = try await history.deploy("b-2", .completed, completed: "2026-03-02T10:00:00Z")
        let second = try await history.deploy("a-9", .completed, completed: "2026-03-02T12:00:00Z")
        // Another product and another environment in between change nothing here.
        try await history.deploy("b-2", .completed, completed: "2026-03-02T13:00:00Z", product: "web")
        try await history.deploy("a-9", .completed, completed: "2026-03-02T13:30:00Z", to: "staging")
        // b-2 ran here before a-9 did: going back to it is a rollback.
        let back = try await history.deploy("b-2", .completed, completed: "2026-03-02T14:00:00Z")
        // a-9 again, while b-2 runs: b-2 first ran before a-9, so this is a roll forward.
        let forward = try await history.deploy("a-9", .completed, completed: "2026-03-03T10:00:00Z")
        let fresh = try await history.deploy("c-1", .completed, completed: "2026-03-03T12:00:00Z")
        // The same version again is not a rollback; nor is a failed attempt of an old one flagged
        // unless its version ran before the running one (b-2 did, while c-1 runs).
        let again = try await history.deploy("c-1", .completed, completed: "2026-03-03T13:00:00Z")
        let failedBack = try await history.deploy("b-2", .failed, completed: "2026-03-03T14:00:00Z")
        #expect([first, second, back, forward, fresh, again, failedBack].map(\.isRollback)
                == [false, false, true, false, false, false, true])
        // The flags shown on every list agree with the answers, and a state rebuilt from its
        // records (as a snapshot is loaded) gives the same flags.
        let listed = await history.fixture.allDeployments(DeploymentQuery(product: "api", environment: "production"))
        #expect(Set(listed.filter(\.isRollback).map(\.deployment.id)) == [back.deployment.id, failedBack.deployment.id])
        let capture = await history.tracker.capture()
        for state in capture.shards.flatMap({ $0.products.values }) {
            let rebuilt = ProductState(product: state.product, versions: state.versions, builds: state.builds,
                                       deployments: state.deployments, events: state.events)
            #expect(state.deployments.map(state.isRollback) == rebuilt.deployments.map(rebuilt.isRollback))
        }
    }

    @Test("A completion sent late changes the rollback flag of a deployment made after it")
    func lateCompletion() async throws {
        let history = InsightsFixture()
        try await history.deploy("v1", .completed, completed: "2026-03-02T10:00:00Z")
        // v1 again from 14:00, still running: v1 runs here, so this is no rollback yet.
        let again = try await history.tracker.record(DeploymentEventInput(
            productName: "api", version: "v1", environmentName: "production", status: .started,
            startedAt: at("2026-03-02T14:00:00Z"))).subject
        #expect(!again.isRollback)
        // Then v2's deployment, completed at 12:00, is sent late: at 14:00 v2 ran, and v1 had run before it.
        try await history.deploy("v2", .completed, completed: "2026-03-02T12:00:00Z")
        let now = try await history.tracker.deployment(id: again.deployment.id)
        #expect(now.isRollback)
        // The DORA figures read the same flag: the rollback is rework once it completes.
        let finished = try await history.tracker.record(DeploymentEventInput(
            productName: "api", version: "v1", environmentName: "production", status: .completed,
            completedAt: at("2026-03-02T14:10:00Z"))).subject
        #expect(finished.deployment.id == again.deployment.id && finished.isRollback)
        let dora = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z")
        #expect(dora.reworkIDs == [again.deployment.id])
        // v2 was replaced by that rollback within 24 h: a change failure.
        #expect(dora.totals.failures == 1)
    }

    @Test("A build marked hotfix after its version was deployed makes the deployment a hotfix")
    func lateHotfixBuild() async throws {
        let history = InsightsFixture()
        try await history.deploy("v1", .completed, completed: "2026-03-02T10:00:00Z")
        let hotfix = try await history.deploy("v2", .completed, completed: "2026-03-02T11:00:00Z")
        var dora = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z")
        #expect(dora.reworkIDs.isEmpty)
        try await history.build("v2", metadata: metadata(JSONMember("hotfix", .bool(true))))
        dora = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z")
        #expect(dora.reworkIDs == [hotfix.deployment.id] && dora.totals.failures == 1)
    }

    @Test("The DORA figures of a hand-made history, overall and per week")
    func doraTable() async throws {
        let history = InsightsFixture()
        // v1: built from 08:00, completed 10:00 → lead time 2 h.
        try await history.build("v1", started: "2026-03-02T08:00:00Z", completed: "2026-03-02T09:00:00Z")
        let d1 = try await history.deploy("v1", .completed, completed: "2026-03-02T10:00:00Z")
        // Two failures before a recovery.
        let d2 = try await history.deploy("v2", .failed, completed: "2026-03-03T10:00:00Z")
        let d3 = try await history.deploy("v2", .failed, completed: "2026-03-03T12:00:00Z")
        // v3: committed at 04:00 (a pipeline's scm_committed_at), built from 12:00 → lead time 10 h.
        try await history.build("v3", started: "2026-03-03T12:00:00Z", completed: "2026-03-03T13:00:00Z",
                                metadata: metadata(JSONMember("scm_committed_at", .string("2026-03-03T04:00:00Z"))))
        let d4 = try await history.deploy("v3", .completed, completed: "2026-03-03T14:00:00Z")
        // Back to v1 20 h later: a rollback, so d4 is a change failure (replaced within 24 h).
        let d5 = try await history.deploy("v1", .completed, completed: "2026-03-04T10:00:00Z")
        // A hotfix six days later: rework, but d5 is no failure (replaced after more than 24 h).
        // v4 has no build and was recorded on 2026-06-01, after it completed: no lead time sample.
        let d6 = try await history.deploy("v4", .completed, completed: "2026-03-10T10:00:00Z",
                                          metadata: metadata(JSONMember("tags", .array([.string("hotfix")]))))
        // Aborted deployments are not counted.
        try await history.deploy("v5", .aborted, completed: "2026-03-11T10:00:00Z")

        let dora = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-16T00:00:00Z")
        let totals = dora.totals
        // Counted: d1–d6; completed: d1, d4, d5, d6.
        #expect(totals.counted == 6 && totals.completed == 4)
        // Failures: d2, d3 (failed) and d4 (rolled back within 24 h): 3 / 6.
        #expect(totals.failures == 3 && totals.changeFailRate == 0.5)
        #expect(dora.failureIDs == [d2, d3, d4].map(\.deployment.id).sorted())
        // Rework: d5 (rollback) and d6 (hotfix): 2 / 6.
        #expect(totals.rework == 2 && totals.reworkRate == 2.0 / 6.0)
        #expect(dora.reworkIDs == [d5, d6].map(\.deployment.id).sorted())
        // Recovery: each failure to the next completed deployment that is not a failure (d5):
        // d2 24 h, d3 22 h, d4 20 h → median 22.
        #expect(totals.recoveryTimes.sorted() == [20, 22, 24])
        #expect(Statistics.median(of: totals.recoveryTimes) == 22)
        // Gaps between completed ones: d1→d4 28 h, d4→d5 20 h, d5→d6 144 h → median 28.
        #expect(totals.gaps.sorted() == [20, 28, 144])
        // Lead times: v1 2 h, v3 10 h → median 6, p90 (nearest rank, 2nd of 2) 10.
        #expect(totals.leadTimes.sorted() == [2, 10])
        #expect(Statistics.median(of: totals.leadTimes) == 6)
        #expect(Statistics.nearestRank(90, of: totals.leadTimes) == 10)
        // Weeks starting Monday 2 and Monday 9 March.
        #expect(dora.query.window.bucketStarts == [at("2026-03-02T00:00:00Z"), at("2026-03-09T00:00:00Z")])
        let (week1, week2) = (dora.buckets[0], dora.buckets[1])
        #expect(week1.counted == 5 && week1.completed == 3 && week1.failures == 3 && week1.rework == 1)
        #expect(week1.changeFailRate == 0.6 && week1.leadTimes.sorted() == [2, 10] && week1.recoveryTimes.sorted() == [20, 22, 24])
        #expect(week2.counted == 1 && week2.completed == 1 && week2.changeFailRate == 0 && week2.reworkRate == 1)
        #expect(week2.leadTimes.isEmpty && week2.recoveryTimes.isEmpty)
        #expect(dora.products == ["api"])
        _ = d1
    }

    @Test("A figure without a sample is nil, and an empty window gives empty buckets")
    func noSamples() async throws {
        let history = InsightsFixture()
        try await history.deploy("v1", .completed, completed: "2026-03-02T10:00:00Z")
        let dora = try await history.dora(since: "2026-04-06T00:00:00Z", until: "2026-04-20T00:00:00Z")
        #expect(dora.totals.counted == 0 && dora.totals.changeFailRate == nil && dora.totals.reworkRate == nil)
        #expect(Statistics.median(of: dora.totals.leadTimes) == nil)
        #expect(dora.buckets.count == 2 && dora.buckets.allSatisfy { $0.counted == 0 })
    }

    @Test("A version deployed to two production environments gives one lead time, from its first completion")
    func twoProductionEnvironments() async throws {
        let history = InsightsFixture()
        try await history.build("v1", started: "2026-03-02T08:00:00Z", completed: "2026-03-02T08:30:00Z")
        try await history.deploy("v1", .completed, completed: "2026-03-02T11:00:00Z", to: "production-eu")
        try await history.deploy("v1", .completed, completed: "2026-03-02T10:00:00Z")
        let dora = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z")
        #expect(Set(try await history.tracker.environments(named: [], orType: .production).map(\.name))
                == ["production", "production-eu"])
        #expect(dora.totals.completed == 2)
        #expect(dora.totals.leadTimes.sorted() == [2])
        // Scoped to the EU environment alone, its own completion is the first.
        let eu = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z",
                                        environments: ["production-eu"])
        #expect(eu.totals.completed == 1 && eu.totals.leadTimes.sorted() == [3])
    }


    @Test("An earlier completion of a version sent late ends its lead time")
    func earlierCompletionSentLate() async throws {
        let history = InsightsFixture()
        try await history.build("v1", started: "2026-03-02T08:00:00Z", completed: "2026-03-02T08:30:00Z")
        try await history.deploy("v1", .completed, completed: "2026-03-02T14:00:00Z")
        let before = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z")
        #expect(before.totals.leadTimes == [6])
        // A first deployment of v1 at 10:00, imported afterwards: the version reached
        // production at 10:00, so its lead time is 2 h, counted once.
        try await history.deploy("v1", .completed, completed: "2026-03-02T10:00:00Z")
        let after = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z")
        #expect(after.totals.completed == 2 && after.totals.leadTimes == [2])
        // A second version's evidence: its build, started before the version's first deployment.
        try await history.build("v2", started: "2026-03-03T09:00:00Z", completed: "2026-03-03T09:10:00Z")
        try await history.deploy("v2", .completed, completed: "2026-03-03T12:00:00Z")
        let both = try await history.dora(since: "2026-03-02T00:00:00Z", until: "2026-03-09T00:00:00Z")
        #expect(both.totals.leadTimes.sorted() == [2, 3])
    }
    @Test("Buckets follow the zone's calendar across a DST change, and a boundary instant opens its bucket")
    func bucketsAcrossDST() throws {
        // Berlin moves from +01:00 to +02:00 on Sunday 29 March 2026.
        let window = try InsightsWindow(since: at("2026-03-23T00:00:00+01:00"), until: at("2026-04-06T00:00:00+02:00"),
                                        interval: .week, timeZone: "Europe/Berlin")
        #expect(window.bucketStarts == [at("2026-03-22T23:00:00Z"), at("2026-03-29T22:00:00Z")])
        #expect(window.bucket(of: at("2026-03-29T21:30:00Z")) == 0)  // Sunday 23:30 in Berlin
        #expect(window.bucket(of: at("2026-03-29T22:00:00Z")) == 1)  // Monday 00:00, exactly at the boundary
        #expect(window.bucket(of: at("2026-04-05T22:00:00Z")) == nil)  // `until` is not inside
        let days = try InsightsWindow(since: at("2026-03-28T00:00:00+01:00"), until: at("2026-03-30T00:00:00+02:00"),
                                      interval: .day, timeZone: "Europe/Berlin")
        // The day of the change has 23 hours.
        #expect(days.bucketStarts == [at("2026-03-27T23:00:00Z"), at("2026-03-28T23:00:00Z")])
        #expect(days.bucketStarts[1].microseconds + 23 * 3_600_000_000 == days.until.microseconds)
        #expect(throws: InsightsWindow.Problem.unknownTimeZone) {
            try InsightsWindow(since: at("2026-03-01T00:00:00Z"), until: at("2026-03-02T00:00:00Z"), interval: .day,
                               timeZone: "Mars/Olympus")
        }
        #expect(throws: InsightsWindow.Problem.sinceAfterUntil) {
            try InsightsWindow(since: at("2026-03-02T00:00:00Z"), until: at("2026-03-01T00:00:00Z"), interval: .day,
                               timeZone: "UTC")
        }
        #expect(throws: InsightsWindow.Problem.tooManyBuckets) {
            try InsightsWindow(since: at("2023-01-01T00:00:00Z"), until: at("2026-03-01T00:00:00Z"), interval: .day,
                               timeZone: "UTC")
        }
        _ = try InsightsWindow(since: at("2023-01-01T00:00:00Z"), until: at("2026-01-01T00:00:00Z"), interval: .day,
                               timeZone: "UTC")  // three years of days is allowed
    }

    @Test("Build tracking counts, rates, nearest-rank durations and commits")
    func builds() async throws {
        let history = InsightsFixture()
        try await history.build("1", .completed, started: "2026-03-02T10:00:00Z", completed: "2026-03-02T10:03:00Z", sha: "AAA")
        try await history.build("2", .failed, started: "2026-03-03T10:00:00Z", completed: "2026-03-03T10:01:00Z", sha: "aaa")
        try await history.build("3", .aborted, started: "2026-03-04T10:00:00Z", completed: "2026-03-04T10:02:00Z", sha: "bbb")
        try await history.build("4", .started, started: "2026-03-05T10:00:00Z", sha: "ccc")
        // No times: the duration a pipeline reported, and the build is placed when recorded (1 June).
        try await history.build("5", .completed, metadata: metadata(JSONMember("build_duration_seconds", .number("240"))))
        try await history.build("6", .completed)
        // Another branch, left out by the branch filter.
        try await history.build("7", .completed, started: "2026-03-06T10:00:00Z", completed: "2026-03-06T10:10:00Z",
                                branch: "feature")
        let window = try InsightsWindow(since: at("2026-03-01T00:00:00Z"), until: at("2026-07-01T00:00:00Z"),
                                        interval: .month, timeZone: "UTC")
        let all = try await history.tracker.buildInsights(BuildInsightsQuery(product: "api", branch: nil, window: window))
        let totals = all.totals
        #expect(totals.builds == 7 && totals.completed == 4 && totals.failed == 1 && totals.aborted == 1 && totals.inProgress == 1)
        #expect(totals.successRate == 0.8)
        // Failed and aborted builds have durations too; build 4 (running) and 6 have none:
        // 60, 120, 180, 240, 600 → p50 the 3rd (⌈2.5⌉), p90 the 5th (⌈4.5⌉).
        #expect(totals.durations.sorted() == [60, 120, 180, 240, 600])
        #expect(Statistics.nearestRank(50, of: totals.durations) == 180)
        #expect(Statistics.nearestRank(90, of: totals.durations) == 600)
        #expect(all.commits == ["aaa", "bbb", "ccc"])
        #expect(all.buckets.map(\.builds) == [5, 0, 0, 2])  // March, April, May, June
        let feature = try await history.tracker.buildInsights(BuildInsightsQuery(product: "api", branch: "feature", window: window))
        #expect(feature.totals.builds == 1)
        await #expect(throws: TrackerError.notFound("Product not found")) {
            try await history.tracker.buildInsights(BuildInsightsQuery(product: "nope", branch: nil, window: window))
        }
    }

    @Test("Readiness from the newest build and the checks pipelines report")
    func readiness() async throws {
        let history = InsightsFixture()
        func checks(_ pairs: (String, String)...) -> RawJSONObject {
            metadata(JSONMember("checks", .object(pairs.map { JSONMember($0.0, .string($0.1)) })))
        }
        func readiness(_ version: String) async throws -> Readiness {
            let versions = await history.tracker.versions(VersionQuery(product: "api"), PageRequest(limit: 100)).items
            return try #require(versions.first { $0.version.name == version }).readiness
        }
        try await history.build("1", metadata: checks(("unit_tests", "passed"), ("security_scan", "failed")))
        var ready = try await readiness("1")
        #expect(!ready.ready && ready.reasons == ["check security_scan failed"])
        // A newer build's value wins, check by check.
        try await history.build("1", metadata: checks(("security_scan", "passed"), ("lint", "skipped")))
        ready = try await readiness("1")
        #expect(ready.ready && ready.buildStatus == .completed && ready.reasons.isEmpty)
        #expect(ready.checks.map(\.name) == ["unit_tests", "security_scan", "lint"])
        #expect(ready.checks.map(\.state) == ["passed", "passed", "skipped"])
        try await history.build("2", .failed)
        #expect(try await readiness("2").reasons == ["build failed"])
        try await history.build("3", metadata: checks(("e2e", "pending")))
        #expect(try await readiness("3").reasons == ["check e2e pending"])
        try await history.deploy("4", .completed, completed: "2026-03-02T10:00:00Z")
        #expect(try await readiness("4").reasons == ["no build"])
        let readyOnes = await history.tracker.versions(VersionQuery(product: "api", ready: true), PageRequest(limit: 100))
        #expect(readyOnes.items.map(\.version.name) == ["1"])
        let notReady = await history.tracker.versions(VersionQuery(product: "api", ready: false), PageRequest(limit: 100))
        #expect(Set(notReady.items.map(\.version.name)) == ["2", "3", "4"])
    }
}
