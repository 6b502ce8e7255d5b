import Benchmark
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import VersionerCore
import VersionerHTTP

/// The dashboard's pages, answered by the server's own responder through Hummingbird's router
/// test client (no sockets): the server's time to find, render and send a page.
enum DashboardBenchmarks {
    static let adminKey = "sk_local_benchmark0000_" + String(repeating: "b", count: 40)
    static let environments = ["dev", "test", "qa", "staging", "preprod", "production", "production-eu", "sandbox"]
    static let pageBytes = BenchmarkMetric.custom("page bytes", polarity: .prefersSmaller, useScalingFactor: false)

    static func register() {
        let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, pageBytes]
        // Each sample starts a server afresh. "First view": every row is rendered. "Live view":
        // the page was seen before and one deployment arrived since (what a wall display asks
        // for): the matrix is worked out again, one row rendered, the others reused.
        for (name, products, environments, path) in [
            ("state matrix page, 200 products × 8 environments", 200, Self.environments, "/"),
            ("one page of 100 rows out of 5 000 products", 5_000, ["staging", "production"], "/?page=7"),
        ] {
            Benchmark("Dashboard: \(name), first view", configuration: .init(metrics: metrics, maxIterations: 1_000)) { benchmark in
                let tracker = await seeded(products: products, environments: environments)
                try await measure(benchmark, tracker, path: path, seenBefore: false)
            }
            Benchmark("Dashboard: \(name), live view", configuration: .init(metrics: metrics, maxIterations: 1_000)) { benchmark in
                let tracker = await seeded(products: products, environments: environments)
                try await measure(benchmark, tracker, path: path, seenBefore: true)
            }
        }
    }

    /// A tracker where every product has a deployment to each environment.
    static func seeded(products: Int, environments: [String]) async -> Tracker {
        let tracker = Tracker(shardCount: 4, journal: CountingJournal())
        for product in 0..<products {
            for (index, environment) in environments.enumerated() {
                _ = try! await tracker.record(DeploymentEventInput(
                    productName: "service-\(product)", version: "1.\(product % 7).\(index)", environmentName: environment,
                    status: .completed, [.deployedBy: "ci-bot", .scmSha: "3f6c1a2b9d8e7f60514a2b3c4d5e6f708192a3b4"]))
            }
        }
        return tracker
    }

    /// Signs in, then asks for `path` once per iteration; records the page's size. `seenBefore`:
    /// the page is asked for once, and a deployment recorded, before the measurement.
    static func measure(_ benchmark: Benchmark, _ tracker: Tracker, path: String, seenBefore: Bool) async throws {
        let app = buildApplication(configuration: ServerConfiguration(port: 0, bootstrapAdminKey: adminKey),
                                   state: ServerState(Backend(tracker: tracker)), logger: Fixtures.quietLogger)
        // The test client runs the closure while this benchmark awaits it: one task at a time uses it.
        nonisolated(unsafe) let benchmark = benchmark
        try await app.test(.router) { client in
            let signIn = try await client.execute(uri: "/ui/login", method: .post,
                                                  headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "key=\(adminKey)&next=%2F"))
            let cookie = String(signIn.headers[.setCookie]!.split(separator: ";")[0])
            var bytes = 0
            if seenBefore {
                _ = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
                _ = try await tracker.record(DeploymentEventInput(productName: "service-0", version: "9.9.9",
                                                                  environmentName: "production", status: .completed))
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let page = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
                bytes = page.body.readableBytes
                blackHole(page)
            }
            benchmark.stopMeasurement()
            precondition(bytes > 10_000, "the page was not rendered")
            benchmark.measurement(pageBytes, bytes)
        }
    }
}
