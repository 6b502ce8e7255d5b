import Synchronization
import Testing
import VersionerCore

/// A tracker on an in-memory journal, with helpers that send events the way clients do.
struct TrackerFixture {
    let journal = InMemoryJournal()
    let tracker: Tracker

    init(shards: Int = 4, clock: any WallClock = SystemWallClock()) {
        tracker = Tracker(shardCount: shards, journal: journal, clock: clock)
    }

    /// A deployment of api 1.0.0 to production.
    @discardableResult
    func deploy(_ status: Status, invokeID: String? = nil, sha: String? = nil,
                completedAt: Timestamp? = nil) async throws -> Recorded<DeploymentView> {
        try await deploy("api", "1.0.0", to: "production", status, invokeID: invokeID, sha: sha, completedAt: completedAt)
    }

    @discardableResult
    func deploy(_ product: String, _ version: String, to environment: String = "production",
                _ status: Status, invokeID: String? = nil, sha: String? = nil, startedAt: Timestamp? = nil,
                completedAt: Timestamp? = nil, deployedBy: String? = nil) async throws -> Recorded<DeploymentView> {
        try await tracker.record(DeploymentEventInput(
            productName: product, version: version, environmentName: environment, status: status,
            startedAt: startedAt, completedAt: completedAt, [.deployedBy: deployedBy, .scmSha: sha, .invokeID: invokeID]))
    }

    @discardableResult
    func build(_ product: String = "api", _ version: String = "1.0.0", _ status: Status = .completed,
               invokeID: String? = nil, sha: String? = nil) async throws -> Recorded<BuildView> {
        try await tracker.record(BuildEventInput(productName: product, version: version, status: status, [.scmSha: sha, .invokeID: invokeID]))
    }

    func allDeployments(_ query: DeploymentQuery = DeploymentQuery()) async -> [DeploymentView] {
        await tracker.deployments(query, PageRequest(limit: 1000)).items
    }
}

@Suite("Lifecycle correlation")
struct CorrelationTests {
    @Test("started then completed update one deployment")
    func startedThenCompleted() async throws {
        let fixture = TrackerFixture()
        let started = try await fixture.deploy(.started)
        let completed = try await fixture.deploy(.completed)
        #expect(started.subject.deployment.id == completed.subject.deployment.id)
        #expect(completed.subject.deployment.status == .completed)
        #expect(started.eventID != completed.eventID)
        #expect(await fixture.allDeployments().count == 1)
    }

    @Test("A terminal deployment is never reopened: the next event starts a new one")
    func terminalNotReopened() async throws {
        let fixture = TrackerFixture()
        let first = try await fixture.deploy(.completed)
        let second = try await fixture.deploy(.started)
        let third = try await fixture.deploy(.failed)
        #expect(first.subject.deployment.id != second.subject.deployment.id)
        #expect(second.subject.deployment.id == third.subject.deployment.id)
        let all = await fixture.allDeployments()
        #expect(all.map(\.deployment.status) == [.failed, .completed])  // newest first
    }

    @Test("invoke_id picks the deployment; else the newest one without an invoke_id")
    func invokeID() async throws {
        let fixture = TrackerFixture()
        let a = try await fixture.deploy(.started, invokeID: "run-a")
        let b = try await fixture.deploy(.started, invokeID: "run-b")
        let anonymous = try await fixture.deploy(.pending)  // updates the newest open one: b
        #expect(anonymous.subject.deployment.id == b.subject.deployment.id)
        let finishA = try await fixture.deploy(.completed, invokeID: "run-a")
        #expect(finishA.subject.deployment.id == a.subject.deployment.id)
        // run-c has no deployment of its own and every open one has an invoke_id: a new deployment.
        let c = try await fixture.deploy(.started, invokeID: "run-c")
        #expect(![a, b].map(\.subject.deployment.id).contains(c.subject.deployment.id))
        #expect(await fixture.allDeployments().count == 3)
    }

    @Test("An event with an invoke_id adopts the newest open deployment that has none")
    func adoptsAnonymous() async throws {
        let fixture = TrackerFixture()
        let anonymous = try await fixture.deploy(.started)
        let adopted = try await fixture.deploy(.completed, invokeID: "run-1")
        #expect(adopted.subject.deployment.id == anonymous.subject.deployment.id)
        #expect(adopted.subject.deployment.invokeID == "run-1")
    }

    @Test("Correlation is per environment and version")
    func perEnvironmentAndVersion() async throws {
        let fixture = TrackerFixture()
        let staging = try await fixture.deploy("api", "1.0.0", to: "staging", .started)
        let production = try await fixture.deploy("api", "1.0.0", to: "production", .started)
        let otherVersion = try await fixture.deploy("api", "2.0.0", to: "staging", .started)
        #expect(Set([staging, production, otherVersion].map(\.subject.deployment.id)).count == 3)
    }

    @Test("Completion is stamped by the server only when the finishing event has no completed_at")
    func completionStamp() async throws {
        let fixture = TrackerFixture()
        let given = Timestamp(rfc3339: "2025-10-23T10:10:00+02:00")!
        let started = try await fixture.deploy(.started, completedAt: given)  // the CLI stamps every event
        #expect(started.subject.deployment.completedAt == given)
        #expect(started.subject.deployment.status == .started)
        let finished = try await fixture.deploy(.completed)
        #expect(finished.subject.deployment.completedAt == finished.recordedAt)
        let backfilled = try await fixture.deploy("api", "2.0.0", .completed, startedAt: given, completedAt: given)
        #expect(backfilled.subject.deployment.completedAt == given)
        #expect(backfilled.subject.deployment.deployedAt == given)
    }
}

@Suite("Versions and SHAs")
struct VersionTests {
    @Test("A build with a different SHA for an existing version is refused and changes nothing")
    func shaImmutable() async throws {
        let fixture = TrackerFixture()
        try await fixture.build(sha: "aaaa")
        let before = fixture.journal.changes.count
        await #expect(throws: TrackerError.shaConflict(version: "1.0.0")) {
            try await fixture.build(sha: "bbbb")
        }
        #expect(fixture.journal.changes.count == before)
        #expect(await fixture.tracker.builds(BuildQuery(), PageRequest()).items.count == 1)
        // Same SHA (any case) and no SHA are fine.
        try await fixture.build(sha: "AAAA")
        try await fixture.build(sha: nil)
    }

    @Test("A deployment event sets the version's SHA only when it has none, and never refuses")
    func deploymentSha() async throws {
        let fixture = TrackerFixture()
        try await fixture.deploy(.completed, sha: "aaaa")
        try await fixture.deploy(.completed, sha: "bbbb")
        let versions = await fixture.tracker.versions(VersionQuery(product: "api"), PageRequest()).items
        #expect(versions.map(\.version.scmSha) == ["aaaa"])
        #expect(await fixture.tracker.versions(VersionQuery(scmSha: "AAAA"), PageRequest()).items.count == 1)
        #expect(await fixture.tracker.versions(VersionQuery(scmSha: "bbbb"), PageRequest()).items.isEmpty)
    }

    @Test("A version lists its builds and the environments where it is current")
    func versionView() async throws {
        let fixture = TrackerFixture()
        let build = try await fixture.build("api", "1.0.0")
        try await fixture.deploy("api", "1.0.0", to: "staging", .completed)
        try await fixture.deploy("api", "1.0.0", to: "production", .completed)
        try await fixture.deploy("api", "2.0.0", to: "staging", .completed)
        let view = try await fixture.tracker.version(id: build.subject.build.versionID)
        #expect(view.builds.map(\.id) == [build.subject.build.id])
        #expect(view.deployedTo.map(\.environment.name) == ["production"])
    }
}

@Suite("State matrix")
struct StateMatrixTests {
    @Test("Current is the last completed deployment; latest shows an attempt in flight; drift compares environments")
    func matrix() async throws {
        let fixture = TrackerFixture()
        try await fixture.deploy("api", "1.0.0", to: "staging", .completed)
        try await fixture.deploy("api", "1.0.0", to: "production", .completed)
        try await fixture.deploy("api", "1.1.0", to: "staging", .completed)
        try await fixture.deploy("api", "1.2.0", to: "staging", .failed)
        try await fixture.deploy("web", "7", to: "dev", .started)

        let matrix = await fixture.tracker.stateMatrix(StateQuery())
        #expect(matrix.environments.map(\.name) == ["dev", "staging", "production"])
        #expect(matrix.products.map(\.product.name) == ["api", "web"])
        let api = matrix.products[0]
        #expect(api.drift)
        let staging = try #require(api.cells.first { $0.environment.name == "staging" }?.cell)
        #expect(staging.current?.version == "1.1.0")
        #expect(staging.latest.version == "1.2.0")
        #expect(staging.latest.deployment.status == .failed)
        let web = matrix.products[1]
        #expect(!web.drift)
        #expect(web.cells.first?.cell.current == nil)

        let productionOnly = await fixture.tracker.stateMatrix(StateQuery(type: .production))
        #expect(productionOnly.environments.map(\.name) == ["production"])
        #expect(productionOnly.products.map(\.product.name) == ["api"])
        #expect(productionOnly.products.first?.drift == false)
    }

    @Test("Back-fill: cells follow the deployments' own times, so an old deployment sent late never becomes current")
    func ownTimesNotArrival() async throws {
        let fixture = TrackerFixture()
        let time = { (text: String) in Timestamp(rfc3339: text)! }
        func send(_ version: String, _ status: Status, started: String? = nil, completed: String? = nil,
                  invokeID: String? = nil) async throws {
            _ = try await fixture.tracker.record(DeploymentEventInput(
                productName: "api", version: version, environmentName: "production", status: status,
                startedAt: started.map(time), completedAt: completed.map(time), [.invokeID: invokeID]))
        }
        func cell() async throws -> (current: String?, latest: String) {
            let matrix = await fixture.tracker.stateMatrix(StateQuery())
            let cell = try #require(matrix.products.first?.cells.first?.cell)
            return (cell.current?.version, cell.latest.version)
        }
        try await send("2.0", .completed, completed: "2026-11-20T10:00:00Z")
        // Imported later, from the past: a success and a failure before 2.0.
        try await send("1.0", .completed, started: "2026-11-01T09:00:00Z", completed: "2026-11-01T09:10:00Z")
        try await send("0.9", .failed, started: "2026-10-01T09:00:00Z", completed: "2026-10-01T09:05:00Z")
        #expect(try await cell() == ("2.0", "2.0"))
        // A newer attempt in flight is the latest; its completion makes it current.
        try await send("3.0", .started, started: "2026-11-25T08:00:00Z", invokeID: "run-3")
        #expect(try await cell() == ("2.0", "3.0"))
        // Its start corrected to before 2.0's: 2.0 is the latest attempt again.
        try await send("3.0", .started, started: "2026-10-15T08:00:00Z", invokeID: "run-3")
        #expect(try await cell() == ("2.0", "2.0"))
        try await send("3.0", .completed, completed: "2026-11-26T08:00:00Z", invokeID: "run-3")
        #expect(try await cell() == ("3.0", "2.0"))

        // Rebuilt from the journal, the state agrees.
        var replayed = TrackerState()
        for change in fixture.journal.changes { replayed.apply(change) }
        let rebuilt = Tracker(shardCount: 3, journal: InMemoryJournal(), state: replayed)
        #expect(await rebuilt.stateMatrix(StateQuery()) == fixture.tracker.stateMatrix(StateQuery()))
    }
}

/// A clock a test moves by hand.
final class SteppedClock: WallClock {
    private let time: Mutex<Timestamp>
    init(_ text: String) { time = Mutex(Timestamp(rfc3339: text)!) }
    func now() -> Timestamp { time.withLock { $0 } }
    func set(_ text: String) { time.withLock { $0 = Timestamp(rfc3339: text)! } }
    func set(_ time: Timestamp) { self.time.withLock { $0 = time } }
}

@Suite("History as it was")
struct PointInTimeTests {
    /// One step of the table: at `time` the server records `event` (product, version, environment, status, invoke id).
    struct Step {
        var time: String
        var product = "api"
        var version: String
        var environment = "production"
        var status: Status
        var invokeID: String?
    }

    static let steps: [Step] = [
        Step(time: "2026-11-02T10:00:00Z", version: "1.0", status: .completed),
        Step(time: "2026-11-02T11:00:00Z", version: "1.0", environment: "staging", status: .completed),
        Step(time: "2026-11-03T09:00:00Z", version: "1.1", status: .started, invokeID: "run-2"),
        Step(time: "2026-11-03T09:20:00Z", version: "1.1", status: .completed, invokeID: "run-2"),
        Step(time: "2026-11-04T12:00:00Z", product: "web", version: "7", status: .failed),
        Step(time: "2026-11-05T08:00:00Z", version: "1.2", status: .started, invokeID: "run-3"),
        Step(time: "2026-11-05T08:30:00Z", version: "1.2", status: .failed, invokeID: "run-3"),
    ]

    /// (instant, expected cells: "product/environment" → (current version, latest version, latest status)).
    static let table: [(String, [String: (String?, String, Status)])] = [
        ("2026-11-01T00:00:00Z", [:]),
        ("2026-11-02T10:00:00Z", ["api/production": ("1.0", "1.0", .completed)]),
        ("2026-11-02T12:00:00Z", ["api/production": ("1.0", "1.0", .completed), "api/staging": ("1.0", "1.0", .completed)]),
        // Between a started and its completed: the attempt is the latest, in progress; 1.0 still runs.
        ("2026-11-03T09:10:00Z", ["api/production": ("1.0", "1.1", .started), "api/staging": ("1.0", "1.0", .completed)]),
        ("2026-11-03T09:20:00Z", ["api/production": ("1.1", "1.1", .completed), "api/staging": ("1.0", "1.0", .completed)]),
        ("2026-11-04T12:00:00Z", ["api/production": ("1.1", "1.1", .completed), "api/staging": ("1.0", "1.0", .completed),
                                  "web/production": (nil, "7", .failed)]),
        ("2026-11-05T08:15:00Z", ["api/production": ("1.1", "1.2", .started), "api/staging": ("1.0", "1.0", .completed),
                                  "web/production": (nil, "7", .failed)]),
        ("2026-11-06T00:00:00Z", ["api/production": ("1.1", "1.2", .failed), "api/staging": ("1.0", "1.0", .completed),
                                  "web/production": (nil, "7", .failed)]),
    ]

    static func cells(_ matrix: StateMatrix) -> [String: (String?, String, Status)] {
        var cells: [String: (String?, String, Status)] = [:]
        for row in matrix.products {
            for (environment, cell) in row.cells {
                cells[row.product.name + "/" + environment.name] = (cell.current?.version, cell.latest.version, cell.latest.deployment.status)
            }
        }
        return cells
    }

    @Test("The matrix of a past instant counts only the events recorded by then, by the same rule as now")
    func matrixAsOf() async throws {
        let clock = SteppedClock("2026-11-01T00:00:00Z")
        let fixture = TrackerFixture(clock: clock)
        for step in Self.steps {
            clock.set(step.time)
            _ = try await fixture.tracker.record(DeploymentEventInput(
                productName: step.product, version: step.version, environmentName: step.environment, status: step.status,
                [.invokeID: step.invokeID]))
        }
        clock.set("2026-11-07T00:00:00Z")
        for (instant, expected) in Self.table {
            let matrix = await fixture.tracker.stateMatrix(StateQuery(at: Timestamp(rfc3339: instant)!))
            let cells = Self.cells(matrix)
            #expect(Set(cells.keys) == Set(expected.keys), "at \(instant)")
            for (key, want) in expected {
                let got = cells[key]
                #expect(got?.0 == want.0 && got?.1 == want.1 && got?.2 == want.2, "at \(instant), \(key): \(String(describing: got))")
            }
        }
        // Now is the live matrix.
        #expect(await fixture.tracker.stateMatrix(StateQuery(at: clock.now())) == fixture.tracker.stateMatrix(StateQuery()))
    }

    /// Deployments of "api" to two environments, one every 10 s, each finishing 35 s after it
    /// started (so several are under way at once), every seventh failing: many blocks of the
    /// index a past instant reads, and instants that cut through them anywhere.
    static func overlappingDeployments(_ count: Int) -> [(time: Timestamp, input: DeploymentEventInput)] {
        let origin = Timestamp(rfc3339: "2026-11-01T00:00:00Z")!.microseconds
        var steps: [(time: Timestamp, input: DeploymentEventInput)] = []
        for n in 0..<count {
            let start = origin + Int64(n) * 10_000_000
            let environment = n % 9 == 0 ? "staging" : "production"
            func input(_ status: Status) -> DeploymentEventInput {
                DeploymentEventInput(productName: "api", version: "1.\(n)", environmentName: environment, status: status,
                                     [.invokeID: "run-\(n)"])
            }
            steps.append((Timestamp(microseconds: start), input(.started)))
            steps.append((Timestamp(microseconds: start + 35_000_000), input(n % 7 == 3 ? .failed : .completed)))
        }
        return steps
    }

    /// Each cell as text: current version, latest version and status.
    static func cellTexts(_ matrix: StateMatrix) -> [String: String] {
        cells(matrix).mapValues { "\($0.0 ?? "-") \($0.1) \($0.2)" }
    }

    @Test("A past instant gives what a server that had only the events recorded by then answers now, across many deployments")
    func matrixAsOfAgreesWithReplay() async throws {
        let steps = Self.overlappingDeployments(120).enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
        let clock = SteppedClock("2026-11-01T00:00:00Z")
        let full = TrackerFixture(clock: clock)
        for step in steps {
            clock.set(step.time)
            _ = try await full.tracker.record(step.input)
        }
        let replayClock = SteppedClock("2026-11-01T00:00:00Z")
        let replay = TrackerFixture(clock: replayClock)
        var fed = 0
        var instant = Timestamp(microseconds: steps[0].time.microseconds - 5_000_000)
        var compared = 0
        while instant <= steps.last!.time {
            while fed < steps.count, steps[fed].time <= instant {
                replayClock.set(steps[fed].time)
                _ = try await replay.tracker.record(steps[fed].input)
                fed += 1
            }
            let then = Self.cellTexts(await full.tracker.stateMatrix(StateQuery(at: instant)))
            #expect(then == Self.cellTexts(await replay.tracker.stateMatrix(StateQuery())), "at \(instant.rfc3339)")
            compared += then.isEmpty ? 0 : 1
            instant = Timestamp(microseconds: instant.microseconds + 7_000_000)
        }
        #expect(compared > 150)
    }

    @Test("A past instant of imported history, recorded out of order, gives what a server that imported only what was recorded by then answers")
    func importedMatrixAsOfAgreesWithReplay() async throws {
        // Newest deployments first, each one's own events in order: the index's blocks then hold
        // deployments known at times that do not ascend.
        let pairs = Self.overlappingDeployments(100)
        let events = stride(from: pairs.count - 2, through: 0, by: -2).flatMap { [pairs[$0], pairs[$0 + 1]] }
        let full = TrackerFixture()
        _ = try await full.tracker.importEvents(events.map { .deployment($0.input, recordedAt: $0.time) })
        for seconds in stride(from: -5, through: 1_050, by: 13) {
            let instant = Timestamp(microseconds: pairs[0].time.microseconds + Int64(seconds) * 1_000_000)
            let known = events.filter { $0.time <= instant }
            let replay = TrackerFixture()
            if !known.isEmpty { _ = try await replay.tracker.importEvents(known.map { .deployment($0.input, recordedAt: $0.time) }) }
            #expect(Self.cellTexts(await full.tracker.stateMatrix(StateQuery(at: instant)))
                    == Self.cellTexts(await replay.tracker.stateMatrix(StateQuery())), "at \(instant.rfc3339)")
        }
    }

    @Test("A version as it was: its builds then, and where it was current then")
    func versionAsOf() async throws {
        let clock = SteppedClock("2026-11-02T10:00:00Z")
        let fixture = TrackerFixture(clock: clock)
        let build = try await fixture.tracker.record(BuildEventInput(productName: "api", version: "1.0", status: .started, [.invokeID: "b"]))
        clock.set("2026-11-02T10:05:00Z")
        _ = try await fixture.tracker.record(BuildEventInput(productName: "api", version: "1.0", status: .completed, [.invokeID: "b"]))
        clock.set("2026-11-02T11:00:00Z")
        try await fixture.deploy("api", "1.0", to: "production", .completed)
        clock.set("2026-11-03T11:00:00Z")
        try await fixture.deploy("api", "2.0", to: "production", .completed)
        let id = build.subject.build.versionID
        let at = { (text: String) in try await fixture.tracker.version(id: id, asOf: Timestamp(rfc3339: text)!) }
        await #expect(throws: TrackerError.notFound("Version not found")) { try await at("2026-11-02T09:59:59Z") }
        let building = try await at("2026-11-02T10:01:00Z")
        #expect(building.builds.map(\.status) == [.started])
        #expect(building.deployedTo.isEmpty)
        let running = try await at("2026-11-02T12:00:00Z")
        #expect(running.builds.map(\.status) == [.completed])
        #expect(running.deployedTo.map(\.environment.name) == ["production"])
        #expect(try await at("2026-11-03T12:00:00Z").deployedTo.isEmpty)
    }
}

@Suite("History lists by own time")
struct HistoryOrderTests {
    @Test("Deployments list newest first by deployed_at, back-filled ones where they happened, paged without gaps or repeats")
    func ownTimeOrder() async throws {
        let fixture = TrackerFixture(shards: 3)
        let time = { (day: Int) in Timestamp(microseconds: Timestamp(rfc3339: "2026-11-01T00:00:00Z")!.microseconds + Int64(day) * 86_400_000_000) }
        // Sent out of order: days 10, 2, 7, 1, 9 … to two environments of two products.
        let days = [10, 2, 7, 1, 9, 4, 12, 3, 8, 5, 11, 6]
        for (index, day) in days.enumerated() {
            try await fixture.deploy(index % 2 == 0 ? "api" : "web", "1.\(day)", to: index % 3 == 0 ? "staging" : "production",
                                     .completed, startedAt: time(day))
        }
        // A start given late moves its deployment.
        try await fixture.deploy("api", "2.0", to: "production", .started, invokeID: "late")
        try await fixture.deploy("api", "2.0", to: "production", .completed, invokeID: "late", startedAt: time(0))
        var seen: [Int] = []
        var page = PageRequest(limit: 5)
        while true {
            let found = await fixture.tracker.deployments(DeploymentQuery(), page)
            seen += found.items.map { Int(($0.deployment.deployedAt.microseconds - time(0).microseconds) / 86_400_000_000) }
            guard let next = found.nextCursor else { break }
            page.cursor = next
        }
        #expect(seen == Array((0...12).reversed()))
        let production = await fixture.tracker.deployments(DeploymentQuery(product: "api", environment: "production"), PageRequest())
        #expect(production.items.map(\.deployment.deployedAt) == production.items.map(\.deployment.deployedAt).sorted(by: >))
        // Replayed from the journal, the order is the same.
        var replayed = TrackerState()
        for change in fixture.journal.changes { replayed.apply(change) }
        let rebuilt = Tracker(shardCount: 2, journal: InMemoryJournal(), state: replayed)
        #expect(await rebuilt.deployments(DeploymentQuery(), PageRequest()).items.map(\.deployment.id)
            == fixture.tracker.deployments(DeploymentQuery(), PageRequest()).items.map(\.deployment.id))
    }
}

@Suite("Replay and concurrency")
struct ReplayTests {
    @Test("Replaying the journal rebuilds the same state, ids and times included")
    func replay() async throws {
        let fixture = TrackerFixture()
        try await fixture.build("api", "1.0.0", .started, invokeID: "b1", sha: "abc")
        try await fixture.build("api", "1.0.0", .completed, invokeID: "b1")
        try await fixture.deploy("api", "1.0.0", to: "staging", .started, invokeID: "d1")
        try await fixture.deploy("api", "1.0.0", to: "staging", .completed, invokeID: "d1")
        try await fixture.deploy("web", "9", to: "prod", .failed)
        let renamed = try await fixture.tracker.createProduct(NewProduct(name: "svc", description: "d"))
        _ = try await fixture.tracker.updateProduct(id: renamed.id, ProductPatch(name: "svc2"))
        let environment = try #require(fixture.tracker.environments(type: .production, PageRequest()).items.first)
        try await fixture.tracker.deleteEnvironment(id: environment.id)

        var replayed = TrackerState()
        for change in fixture.journal.changes { replayed.apply(change) }
        let rebuilt = Tracker(shardCount: 3, journal: InMemoryJournal(), state: replayed)

        #expect(await rebuilt.deployments(DeploymentQuery(), PageRequest()).items == fixture.allDeployments())
        #expect(await rebuilt.builds(BuildQuery(), PageRequest()).items == fixture.tracker.builds(BuildQuery(), PageRequest()).items)
        #expect(await rebuilt.events(EventQuery(), PageRequest()).items.map(\.event) == fixture.tracker.events(EventQuery(), PageRequest()).items.map(\.event))
        #expect(await rebuilt.products(PageRequest()).items == fixture.tracker.products(PageRequest()).items)
        #expect(rebuilt.environments(type: nil, PageRequest()).items == fixture.tracker.environments(type: nil, PageRequest()).items)
        #expect(await rebuilt.stateMatrix(StateQuery()) == fixture.tracker.stateMatrix(StateQuery()))
    }

    @Test("Hundreds of concurrent events over many products are each recorded exactly once")
    func concurrentEvents() async throws {
        let fixture = TrackerFixture(shards: 8)
        let products = 40
        let perProduct = 12
        let eventIDs = try await withThrowingTaskGroup(of: EntityID.self) { group in
            for p in 0..<products {
                for v in 0..<perProduct {
                    group.addTask {
                        try await fixture.deploy("product-\(p)", "v\(v)", to: v % 2 == 0 ? "staging" : "production", .completed).eventID
                    }
                }
            }
            var ids: [EntityID] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(Set(eventIDs).count == products * perProduct)
        let deployments = await fixture.allDeployments()
        #expect(deployments.count == products * perProduct)
        #expect(Set(deployments.map(\.deployment.id)).count == products * perProduct)
        #expect(await fixture.tracker.products(PageRequest(limit: 1000)).items.count == products)
        #expect(fixture.tracker.environments(type: nil, PageRequest()).items.count == 2)
        #expect(fixture.journal.changes.count == products * perProduct + 2)
    }
}

@Suite("Catalog")
struct CatalogTests {
    @Test("Product names are unique across shards, also through renames")
    func uniqueNames() async throws {
        let fixture = TrackerFixture(shards: 4)
        let a = try await fixture.tracker.createProduct(NewProduct(name: "a"))
        _ = try await fixture.tracker.createProduct(NewProduct(name: "b"))
        await #expect(throws: TrackerError.conflict("Product a already exists")) {
            try await fixture.tracker.createProduct(NewProduct(name: "a"))
        }
        await #expect(throws: TrackerError.conflict("Product b already exists")) {
            try await fixture.tracker.updateProduct(id: a.id, ProductPatch(name: "b"))
        }
        let renamed = try await fixture.tracker.updateProduct(id: a.id, ProductPatch(name: "renamed-a"))
        // Events find a renamed product by its new name, wherever its shard is.
        let event = try await fixture.deploy("renamed-a", "1", .completed)
        #expect(event.subject.deployment.productID == renamed.id)
        // The old name is free again: it makes a new product.
        let fresh = try await fixture.deploy("a", "1", .completed)
        #expect(fresh.subject.deployment.productID != a.id)
    }

    @Test("Queries by product name find a renamed product, whichever shard its new name hashes to")
    func queriesFollowRenames() async throws {
        let fixture = TrackerFixture(shards: 8)
        // Several renames, so that some new names hash to another shard than the product's.
        for number in 0..<8 {
            let old = "old-\(number)", new = "new-\(number)"
            try await fixture.deploy(old, "1", .completed)
            try await fixture.build(old, "1")
            let id = try #require(await fixture.tracker.products(PageRequest(limit: 1000)).items.first { $0.name == old }?.id)
            _ = try await fixture.tracker.updateProduct(id: id, ProductPatch(name: new))
            try await fixture.deploy(new, "2", .completed)
            let deployments = await fixture.tracker.deployments(DeploymentQuery(product: new), PageRequest())
            #expect(deployments.items.map(\.version) == ["2", "1"], "\(new)")
            #expect(await fixture.tracker.deployments(DeploymentQuery(product: old), PageRequest()).items.isEmpty)
            #expect(await fixture.tracker.versions(VersionQuery(product: new), PageRequest()).items.count == 2)
            #expect(await fixture.tracker.builds(BuildQuery(product: new), PageRequest()).items.count == 1)
            #expect(await fixture.tracker.events(EventQuery(product: new), PageRequest()).items.count == 3)
            #expect(await fixture.tracker.stateMatrix(StateQuery(product: new)).products.map(\.product.name) == [new])
        }
    }

    @Test("Deleting a product removes its versions, deployments and events")
    func deleteProduct() async throws {
        let fixture = TrackerFixture()
        let event = try await fixture.deploy("gone", "1", .completed)
        try await fixture.deploy("kept", "1", .completed)
        try await fixture.tracker.deleteProduct(id: event.subject.deployment.productID)
        #expect(await fixture.allDeployments().map(\.productName) == ["kept"])
        #expect(await fixture.tracker.events(EventQuery(product: "gone"), PageRequest()).items.isEmpty)
        await #expect(throws: TrackerError.notFound("Deployment not found")) {
            try await fixture.tracker.deployment(id: event.subject.deployment.id)
        }
    }

    @Test("Deleting an environment removes its deployments but keeps the audit log")
    func deleteEnvironment() async throws {
        let fixture = TrackerFixture()
        let event = try await fixture.deploy("api", "1", to: "qa", .completed)
        try await fixture.deploy("api", "1", to: "prod", .completed)
        try await fixture.tracker.deleteEnvironment(id: event.subject.deployment.environmentID)
        #expect(await fixture.allDeployments().map(\.environmentName) == ["prod"])
        #expect(await fixture.tracker.events(EventQuery(), PageRequest()).items.count == 2)
        #expect(await fixture.tracker.stateMatrix(StateQuery()).environments.map(\.name) == ["prod"])
    }

    @Test("Renaming an environment classifies it again unless the type is given")
    func renameEnvironment() async throws {
        let fixture = TrackerFixture()
        let event = try await fixture.deploy("api", "1", to: "qa", .completed)
        let id = event.subject.deployment.environmentID
        let renamed = try await fixture.tracker.updateEnvironment(id: id, EnvironmentPatch(name: "prod-eu"))
        #expect(renamed.type == .production)
        let typed = try await fixture.tracker.updateEnvironment(id: id, EnvironmentPatch(name: "eu", type: .staging))
        #expect(typed.type == .staging)
        #expect(try await fixture.tracker.deployment(id: event.subject.deployment.id).environmentName == "eu")
    }
}

@Suite("Pagination")
struct PaginationTests {
    @Test("Walking the pages returns every item exactly once, newest first", arguments: [1, 3, 7, 50])
    func walk(limit: Int) async throws {
        let fixture = TrackerFixture()
        for i in 0..<23 {
            try await fixture.deploy("p\(i % 5)", "v\(i)", to: i % 2 == 0 ? "a" : "b", .completed)
        }
        var seen: [EntityID] = []
        var cursor: EntityID?
        repeat {
            let page = await fixture.tracker.deployments(DeploymentQuery(), PageRequest(limit: limit, cursor: cursor))
            #expect(page.items.count <= limit)
            seen += page.items.map(\.deployment.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.count == 23)
        #expect(seen == seen.sorted(by: >))
        #expect(Set(seen).count == 23)
    }
}
