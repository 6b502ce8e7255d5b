import Foundation
import Logging
import Testing
import VersionerCore
@testable import VersionerStore
import VersionerTestSupport

extension TemporaryDirectory {
    var data: DataDirectory { DataDirectory(path) }
}

/// Runs `body` with a temporary folder, removed afterwards.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) async throws -> T) async rethrows -> T {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    return try await body(directory)
}

let quietLogger: Logger = {
    var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    logger.logLevel = .critical
    return logger
}()

/// A clock that stands still until a test moves it.
final class ManualClock: WallClock {
    private let time: Mutex<Timestamp>

    init(_ start: Timestamp = Timestamp(rfc3339: "2026-11-25T18:00:00Z")!) {
        time = Mutex(start)
    }

    func now() -> Timestamp { time.withLock { $0 } }

    func advance(bySeconds seconds: Int64) {
        time.withLock { $0 = Timestamp(microseconds: $0.microseconds + seconds * 1_000_000) }
    }
}

/// Records the message of a fatal journal failure instead of exiting.
final class FatalRecorder: Sendable {
    private let messages = Mutex<[String]>([])
    var recorded: [String] { messages.withLock { $0 } }
    func record(_ message: String) { messages.withLock { $0.append(message) } }
}

import Synchronization

/// Sends a mix of events to a tracker: builds, deployments with lifecycles, catalog changes.
func sendEvents(to tracker: Tracker, count: Int, products: Int = 7, seed: Int = 0) async throws {
    for i in 0..<count {
        let n = i + seed
        let product = "product-\(n % products)"
        if n % 5 == 0 {
            _ = try await tracker.record(BuildEventInput(productName: product, version: "v\(n / 3)", status: .completed,
                                                         [.scmSha: "sha\(n / 3)", .invokeID: "b\(n)"]))
        } else {
            let status: Status = [.started, .completed, .failed, .pending][n % 4]
            _ = try await tracker.record(DeploymentEventInput(
                productName: product, version: "v\(n / 3)", environmentName: ["dev", "staging", "prod-eu"][n % 3],
                status: status, startedAt: n % 9 == 0 ? Timestamp(microseconds: Int64(n) * 1000) : nil,
                extraMetadata: n % 6 == 0 ? RawJSONObject(members: [JSONMember("i", .number("\(n)")), JSONMember("é", .string("✓"))]) : nil,
                [.deployedBy: "user\(n % 4)", .scmSha: n % 2 == 0 ? "sha\(n / 3)" : nil,
                 .invokeID: n % 7 == 0 ? nil : "run-\(n / 2)"]))
        }
    }
}

/// Everything a tracker answers, for comparing two trackers.
struct TrackerContents: Equatable {
    var deployments: [DeploymentView]
    var builds: [BuildView]
    var events: [LoggedEvent]
    var products: [Product]
    var environments: [Environment]
    var matrix: StateMatrix
    var versions: [VersionView]
    var rules: [DeploymentRule]
    var violations: [ViolationView]
    var approvals: [[Approval]]

    init(_ tracker: Tracker) async {
        let all = PageRequest(limit: 1000)
        deployments = await tracker.deployments(DeploymentQuery(), all).items
        builds = await tracker.builds(BuildQuery(), all).items
        events = await tracker.events(EventQuery(), all).items.map(\.event)
        products = await tracker.products(all).items
        environments = tracker.environments(type: nil, all).items
        matrix = await tracker.stateMatrix(StateQuery())
        versions = await tracker.versions(VersionQuery(), all).items
        rules = tracker.rules(all).items
        violations = await tracker.violations(ViolationQuery(), all).items
        var approvals: [[Approval]] = []
        for version in versions { approvals.append((try? await tracker.approvals(versionID: version.version.id)) ?? []) }
        self.approvals = approvals
    }
}
