import Benchmark
import CHeapUsage
import Foundation
import Logging
import Synchronization
import VersionerCore
import VersionerStore

// The suites of issue "Benchmarks and load figures". Sizes follow the issue (1 000 products ×
// 5 environments × 200 deployments = 1 000 000 deployments); VERSIONER_BENCH_SCALE (a fraction,
// default 1) shrinks them for a quick look. Thresholds live in Thresholds/ (see README.md).

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(5),
        maxIterations: 10_000,
        thresholds: [
            .wallClock: .init(relative: [.p50: 25, .p90: 35], absolute: [:]),
            .mallocCountTotal: .init(relative: [.p50: 5], absolute: [:]),
        ]
    )

    // The large state's journal and snapshot are files: remove them when a benchmark is done.
    Benchmark.teardown = { await Fixtures.large.removeFiles() }

    // MARK: Decoding and validation

    Benchmark("Parse and validate a GitHub Action deployment event", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let body = Fixtures.actionDeploymentBody
        for _ in benchmark.scaledIterations {
            guard case .object(let members) = try JSONParser.parse(body),
                  case .success(let input) = DeploymentEventInput.validate(members) else {
                fatalError("the fixture no longer validates")
            }
            blackHole(input)
        }
    }

    // MARK: Applying events

    Benchmark("Record deployment events (plan, journal in memory, apply)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let tracker = Tracker(shardCount: 4, journal: CountingJournal())
        var number = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            number += 1
            let input = Fixtures.deployment(product: number % 1000, environment: number % 5, version: number)
            blackHole(try await tracker.record(input))
        }
    }

    // MARK: Memory

    // Heap bytes the state holds per deployment, for events of the load script's shape (a new
    // version, SHA and URL on every event): what the "≤ 1 KiB per stored deployment" target is
    // about, without the process baseline and allocator slack that resident memory adds.
    let heapPerDeployment = BenchmarkMetric.custom("bytes per deployment", polarity: .prefersSmaller, useScalingFactor: false)
    Benchmark("Heap held per deployment, load-script events",
              configuration: .init(metrics: [heapPerDeployment], maxIterations: 1,
                                   thresholds: [heapPerDeployment: .init(relative: [.p50: 5], absolute: [:])])) { benchmark in
        let count = max(1_000, Int(200_000 * Fixtures.scale))
        let before = HeapUsage.bytesInUse()
        let tracker = Tracker(shardCount: 4, journal: CountingJournal())
        for number in 0..<count {
            _ = try await tracker.record(Fixtures.loadScriptDeployment(number))
        }
        let held = HeapUsage.bytesInUse() - before
        benchmark.measurement(heapPerDeployment, held / count)
        blackHole(tracker)
    }

    // MARK: Queries on 1 000 000 deployments

    Benchmark("State matrix of every product", configuration: .init(maxIterations: 200), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        for _ in benchmark.scaledIterations {
            blackHole(await tracker.stateMatrix(StateQuery()))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    // History as it was: the instant halfway through recording the fixture (every cell has
    // deployments known and unknown then), and the last instant (every deployment known).
    Benchmark("State matrix of every product, as of halfway through", configuration: .init(maxIterations: 200), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        let span = await Fixtures.large.recordedSpan
        let halfway = Timestamp(microseconds: (span.first.microseconds + span.last.microseconds) / 2)
        for _ in benchmark.scaledIterations {
            blackHole(await tracker.stateMatrix(StateQuery(at: halfway)))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    Benchmark("State matrix of every product, as of the end", configuration: .init(maxIterations: 200), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        let end = await Fixtures.large.recordedSpan.last
        for _ in benchmark.scaledIterations {
            blackHole(await tracker.stateMatrix(StateQuery(at: end)))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    Benchmark("History of one product, newest 50", configuration: .init(scalingFactor: .kilo), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        for iteration in benchmark.scaledIterations {
            let query = DeploymentQuery(product: Fixtures.productName(iteration % Fixtures.products))
            blackHole(await tracker.deployments(query, PageRequest(limit: 50)))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    Benchmark("History of every product, newest 50", configuration: .init(maxIterations: 2_000), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        for _ in benchmark.scaledIterations {
            blackHole(await tracker.deployments(DeploymentQuery(), PageRequest(limit: 50)))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    // MARK: Insights on 1 000 000 deployments spread over a year

    Benchmark("DORA of every product, weekly, one year", configuration: .init(maxIterations: 200), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        let query = try! await Fixtures.doraQuery(tracker, product: nil)
        for _ in benchmark.scaledIterations {
            blackHole(try! await tracker.dora(query))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    Benchmark("DORA of one product, weekly, one year", configuration: .init(maxIterations: 5_000), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        var queries: [DoraQuery] = []
        for product in 0..<min(100, Fixtures.products) {
            queries.append(try! await Fixtures.doraQuery(tracker, product: Fixtures.productName(product)))
        }
        for iteration in benchmark.scaledIterations {
            blackHole(try! await tracker.dora(queries[iteration % queries.count]))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    Benchmark("Build insights of every product, weekly, one year", configuration: .init(maxIterations: 200), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        let query = BuildInsightsQuery(product: nil, branch: nil, window: Fixtures.year)
        for _ in benchmark.scaledIterations {
            blackHole(try! await tracker.buildInsights(query))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    Benchmark("Build insights of one product, weekly, one year", configuration: .init(maxIterations: 5_000), closure: { benchmark in
        let tracker = await Fixtures.large.tracker
        for iteration in benchmark.scaledIterations {
            let query = BuildInsightsQuery(product: Fixtures.productName(iteration % Fixtures.products), branch: nil,
                                           window: Fixtures.year)
            blackHole(try! await tracker.buildInsights(query))
        }
    }, setup: { _ = await Fixtures.large.tracker })

    DashboardBenchmarks.register()
    RuleBenchmarks.register()

    // MARK: Journal

    for policy in [FsyncPolicy.always, .none] {
        Benchmark("Journal append, one writer, fsync \(policy.rawValue)",
                  configuration: .init(metrics: [.wallClock, .cpuTotal, .syscalls], maxIterations: 2_000,
                                       thresholds: [.wallClock: .init(relative: [.p50: 25, .p90: 35], absolute: [:])])) { benchmark in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let journal = try FileJournal(directory: directory.path, nextSequence: 1, options: .init(policy: policy),
                                          logger: Fixtures.quietLogger, onFatal: { _ in })
            let change = StateChange.environmentSaved(Fixtures.environment)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let sequence = try journal.append(change)
                try await journal.waitDurable(sequence)
            }
            benchmark.stopMeasurement()
            await journal.close()
        }
    }

    // MARK: Snapshots of 1 000 000 deployments

    Benchmark("Snapshot write: encode, compress, write, sync",
              configuration: .init(maxDuration: .seconds(60), maxIterations: 3), closure: { benchmark in
        let capture = await Fixtures.large.tracker.capture()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        benchmark.startMeasurement()
        let info = try SnapshotStore.write(capture, to: directory.path)
        benchmark.stopMeasurement()
        blackHole(info)
    }, setup: { _ = await Fixtures.large.tracker })

    Benchmark("Snapshot load: read, decompress, decode",
              configuration: .init(maxDuration: .seconds(60), maxIterations: 3), closure: { benchmark in
        let path = await Fixtures.large.snapshotPath
        benchmark.startMeasurement()
        blackHole(try SnapshotStore.load(path))
    }, setup: { _ = await Fixtures.large.snapshotPath })

    // MARK: Recovery

    Benchmark("Recovery of 1 000 000 journaled events (no snapshot)",
              configuration: .init(maxDuration: .seconds(120), maxIterations: 3), closure: { benchmark in
        let directory = await Fixtures.large.journalDirectory
        benchmark.startMeasurement()
        let (state, report) = try Recovery.recover(DataDirectory(directory), cutTornTail: false, logger: Fixtures.quietLogger)
        benchmark.stopMeasurement()
        // Every deployment event, plus the products and environments they created.
        precondition(report.replayed >= Fixtures.deployments)
        blackHole(state)
    }, setup: { _ = await Fixtures.large.journalDirectory })
}

/// A journal that only counts: for measuring the write path without files.
final class CountingJournal: Journal {
    private let count = Mutex<UInt64>(0)
    func append(_ change: StateChange) throws(JournalError) -> UInt64 { count.withLock { $0 += 1; return $0 } }
    func waitDurable(_ sequence: UInt64) async throws(JournalError) {}
    var lastSequence: UInt64 { count.withLock { $0 } }
}

/// The allocator's count of bytes handed out and not yet freed.
enum HeapUsage {
    static func bytesInUse() -> Int { Int(heap_bytes_in_use()) }
}

struct TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "versioner-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

enum Fixtures {
    static let scale = ProcessInfo.processInfo.environment["VERSIONER_BENCH_SCALE"].flatMap(Double.init) ?? 1
    static let products = max(1, Int(1000 * scale))
    static let environments = 5
    static let deploymentsPerCell = 200
    static let deployments = products * environments * deploymentsPerCell

    static let quietLogger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

    static func productName(_ number: Int) -> String { "product-\(number)" }
    static let environmentNames = ["dev", "test", "staging", "production", "other-\(0)"]

    static let environment = Environment(id: EntityID(uuidString: "0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e")!, name: "production",
                                         type: .production, createdAt: Timestamp(microseconds: 1_700_000_000_000_000))

    /// The body of the GitHub Action's deployment request, as it sends it.
    static let actionDeploymentBody: [UInt8] = {
        let path = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Tests/Fixtures/client-requests/action-deployment.json")
        let text = try! String(contentsOf: path, encoding: .utf8)
        let fixture = try! JSONParser.parse(Array(text.utf8))
        var writer = JSONWriter()
        writer.value(fixture["body"]!)
        return writer.bytes
    }()

    /// The year the large state's history spans, from Monday 6 January 2025, in weeks.
    static let yearStart = Timestamp(rfc3339: "2025-01-06T00:00:00Z")!
    static let year = try! InsightsWindow(since: yearStart, until: Timestamp(microseconds: yearStart.microseconds + 364 * 86_400_000_000),
                                          interval: .week, timeZone: "UTC")

    /// The DORA query of the year for production.
    static func doraQuery(_ tracker: Tracker, product: String?) async throws -> DoraQuery {
        let scope = try await tracker.environments(named: [], orType: .production)
        return DoraQuery(product: product, environmentIDs: Set(scope.map(\.id)), window: year)
    }

    /// When the `index`th deployment of a cell (of `deploymentsPerCell`) completed: spread over
    /// the year, each product a little later than the one before.
    static func completion(index: Int, product: Int) -> Timestamp {
        let step = 364 * 86_400_000_000 / Int64(deploymentsPerCell)
        return Timestamp(microseconds: yearStart.microseconds + Int64(index) * step + Int64(product) * 60_000_000)
    }

    /// A completed deployment event shaped like the load script's.
    static func deployment(product: Int, environment: Int, version: Int, status: Status = .completed,
                           versionName: String? = nil, completedAt: Timestamp? = nil) -> DeploymentEventInput {
        DeploymentEventInput(productName: productName(product), version: versionName ?? "1.0.\(version)",
                             environmentName: environmentNames[environment], status: status, completedAt: completedAt,
                             [.deployedBy: "ci-bot", .scmSha: "3f6c1a2b9d8e7f60514a2b3c4d5e6f708192a3b4",
                              .sourceSystem: "github", .invokeID: "run-\(version)"])
    }

    /// A deployment event exactly as `load/post-deployment.lua` sends it (one thread's `number`th).
    static func loadScriptDeployment(_ number: Int) -> DeploymentEventInput {
        let environments = ["dev", "test", "staging", "production", "production-eu"]
        let sha = String(repeating: String(format: "%08x", (number * 7919 + 1) % 2_147_483_647), count: 5)
        return DeploymentEventInput(productName: "service-\((7919 + number) % 1000)", version: "1.\(number / 1000).\(number % 1000)",
                                    environmentName: environments[number % 5], status: .completed,
                                    [.deployedBy: "ci-bot", .scmSha: sha, .deployURL: "https://ci.example.com/runs/\(number)",
                                     .buildNumber: "\(number)", .sourceSystem: "github", .invokeID: "1-\(number)"])
    }

    /// The 1 000 000-deployment state, built once per benchmark process, on a journal on disk
    /// (`--fsync none`) so that recovery can be measured on the same events.
    static let large = LargeState()
}

actor LargeState {
    private var built: (tracker: Tracker, journalDirectory: String)?
    /// When the first and the last event of the fixture were recorded.
    private(set) var span = (first: Timestamp(microseconds: 0), last: Timestamp(microseconds: 0))
    private var snapshot: String?
    private var directories: [TemporaryDirectory] = []

    func removeFiles() {
        for directory in directories { directory.remove() }
        directories = []
    }

    private func build() async -> (tracker: Tracker, journalDirectory: String) {
        if let built { return built }
        let directory = try! TemporaryDirectory()
        directories.append(directory)
        let data = DataDirectory(directory.path)
        try! data.create()
        let journal = try! FileJournal(directory: data.journal, nextSequence: 1, options: .init(policy: .none),
                                       logger: Fixtures.quietLogger, onFatal: { fatalError($0) })
        let tracker = Tracker(shardCount: 4, journal: journal)
        let first = SystemWallClock().now()
        // A year of history: every deployment completes at its own time; production's versions
        // are built an hour before (one build in ten fails), one deployment in fifteen fails and
        // one in twenty-five goes back to the version before the last (a rollback).
        var version = 0
        for index in 0..<Fixtures.deploymentsPerCell {
            for product in 0..<Fixtures.products {
                for environment in 0..<Fixtures.environments {
                    version += 1
                    let time = Fixtures.completion(index: index, product: product)
                    guard environment == 3 else {
                        _ = try! await tracker.record(Fixtures.deployment(product: product, environment: environment,
                                                                          version: version, completedAt: time))
                        continue
                    }
                    let name = index % 25 == 24 ? "1.0.\(version - 2 * Fixtures.products * Fixtures.environments)" : "1.0.\(version)"
                    if index % 25 != 24 {
                        let started = Timestamp(microseconds: time.microseconds - 3_600_000_000)
                        _ = try! await tracker.record(BuildEventInput(
                            productName: Fixtures.productName(product), version: name, status: index % 10 == 9 ? .failed : .completed,
                            startedAt: started, completedAt: Timestamp(microseconds: started.microseconds + 300_000_000)))
                    }
                    _ = try! await tracker.record(Fixtures.deployment(
                        product: product, environment: environment, version: version,
                        status: index % 15 == 14 ? .failed : .completed, versionName: name, completedAt: time))
                }
            }
        }
        span = (first, SystemWallClock().now())
        built = (tracker, directory.path)
        return built!
    }

    var tracker: Tracker { get async { await build().tracker } }
    var recordedSpan: (first: Timestamp, last: Timestamp) { get async { _ = await build(); return span } }
    var journalDirectory: String { get async { await build().journalDirectory } }

    var snapshotPath: String {
        get async {
            if let snapshot { return snapshot }
            let capture = await build().tracker.capture()
            let directory = try! TemporaryDirectory()
            directories.append(directory)
            let info = try! SnapshotStore.write(capture, to: directory.path)
            snapshot = info.path
            return info.path
        }
    }
}
