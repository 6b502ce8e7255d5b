import Benchmark
import VersionerCore

/// What deployment rules add to an event that starts a deployment: the same stream of `started`
/// events (each a new version: a new deployment) recorded with no rules and with 50 enabled rules
/// that all apply and all pass (25 schedules, whose windows are not open, in 5 zones; 25
/// concurrency limits not reached). The difference of the two is the evaluation's cost.
enum RuleBenchmarks {
    static let zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]

    /// The rules, as bodies of `POST /deployment-rules/`.
    static var passingRules: [String] {
        (0..<25).map { index in
            """
            {"name": "Freeze \(index)", "type": "schedule", "schedule": {"timezone": "\(zones[index % zones.count])", "windows": [
              {"from": "2020-01-0\(1 + index % 9)T00:00:00Z", "to": "2020-02-01T00:00:00Z"},
              {"days": ["mon"], "start": "03:00", "end": "03:00"}]}}
            """
        } + (0..<25).map { index in
            #"{"name": "Limit \#(index)", "type": "concurrency", "concurrency": {"max_in_progress": 1000}}"#
        }
    }

    static func register() {
        for (name, rules) in [("no rules", [String]()), ("50 rules that pass", passingRules)] {
            Benchmark("Start deployments, \(name)", configuration: .init(scalingFactor: .kilo)) { benchmark in
                // Mondays are closed from 03:00 for a whole day: a clock on a Tuesday keeps every window shut.
                let tracker = Tracker(shardCount: 4, journal: CountingJournal(), clock: FixedClock())
                for rule in rules {
                    _ = try await tracker.createRule(try JSONValue(parsing: rule).objectMembers!)
                }
                var number = 0
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    number += 1
                    let input = Fixtures.deployment(product: number % 1000, environment: number % 5, version: number, status: .started)
                    blackHole(try await tracker.record(input))
                }
            }
        }
    }

    /// Tuesday 2026-12-01, noon UTC.
    struct FixedClock: WallClock {
        func now() -> Timestamp { Timestamp(rfc3339: "2026-12-01T12:00:00Z")! }
    }
}
