import HTTPTypes
import Testing
import VersionerCore
import VersionerHTTP

@Suite("Metrics")
struct MetricsTests {
    /// The value of the sample `series` (a name with its labels, as exposed) in a text exposition.
    static func sample(_ series: String, in exposition: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("GET /metrics is public Prometheus text, and its counters move when events arrive")
    func countersMove() async throws {
        try await withAPI { api in
            let before = try await api.with(key: nil).get("/metrics")
            #expect(before.status == .ok)
            #expect(before.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let accepted = #"versioner_events_accepted_total{type="deployment.completed"}"#
            #expect(Self.sample(accepted, in: before.text) == 0)
            #expect(Self.sample("versioner_deployments", in: before.text) == 0)

            try await api.deploy("svc", "1.0", status: "success")
            try await api.deploy("svc", "1.1", status: "in_progress")
            try await api.build("svc", "1.2")
            let deployment = try #require(try await api.deploy("svc", "1.1", status: "deployed").json["id"]?.stringValue)
            #expect(try await api.get("/deployments/\(deployment)").status == .ok)
            #expect(try await api.get("/deployments/\(deployment)").status == .ok)

            let after = try await api.with(key: nil).get("/metrics").text
            #expect(Self.sample(accepted, in: after) == 2)
            #expect(Self.sample(#"versioner_events_accepted_total{type="deployment.started"}"#, in: after) == 1)
            #expect(Self.sample(#"versioner_events_accepted_total{type="build.completed"}"#, in: after) == 1)
            #expect(Self.sample("versioner_products", in: after) == 1)
            #expect(Self.sample("versioner_deployments", in: after) == 2)
            #expect(Self.sample("versioner_events", in: after) == 4)
            // Requests are counted under their route pattern, never the raw path with an id.
            let byRoute = #"versioner_http_requests_total{method="GET",route="/deployments/{id}",status="200"}"#
            #expect(Self.sample(byRoute, in: after) == 2)
            #expect(Self.sample(#"versioner_http_requests_total{method="POST",route="/deployment-events/",status="200"}"#,
                                in: after) == 3)
            #expect(!after.contains(deployment))
            let histogram = #"versioner_http_request_duration_seconds_count{method="POST",route="/deployment-events/"}"#
            #expect(Self.sample(histogram, in: after) == 3)
        }
    }

    @Test("Every metric family has a HELP line before its TYPE, and the process metrics are there")
    func helpAndProcessMetrics() async throws {
        try await withAPI { api in
            try await api.deploy("svc", "1.0", status: "success")
            let lines = try await api.with(key: nil).get("/metrics").text.split(separator: "\n").map(String.init)
            let families = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
            #expect(families.count >= 10)
            for (index, line) in lines.enumerated() where line.hasPrefix("# TYPE ") {
                let name = line.split(separator: " ")[2]
                #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) ") && lines[index - 1].count > "# HELP \(name) ".count,
                        "\(name) has no help text")
            }
            let text = lines.joined(separator: "\n")
            for name in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                         "process_start_time_seconds"] {
                #expect((Self.sample(name, in: text) ?? 0) > 0, "\(name)")
            }
        }
    }

    @Test("Requests that match no route share one series")
    func unmatchedRequests() async throws {
        try await withAPI { api in
            _ = try await api.get("/no-such-thing/1")
            _ = try await api.get("/no-such-thing/2")
            let text = try await api.get("/metrics").text
            #expect(Self.sample(#"versioner_http_requests_total{method="other",route="unmatched",status="404"}"#, in: text) == 2)
            #expect(!text.contains("no-such-thing"))
        }
    }

    @Test("With metricsRequireKey, GET /metrics needs a key with the read scope")
    func requireKey() async throws {
        try await withAPI(metricsRequireKey: true) { api in
            #expect(try await api.with(key: nil).get("/metrics").status == .unauthorized)
            let writer = try await api.tracker.issueKey(name: "ci", description: nil, scopes: [.eventsWrite], account: "local")
            #expect(try await api.with(key: writer.token).get("/metrics").status == .forbidden)
            let reader = try await api.tracker.issueKey(name: "prometheus", description: nil, scopes: [.read], account: "local")
            let answer = try await api.with(key: reader.token).get("/metrics")
            #expect(answer.status == .ok)
            #expect(answer.text.contains("versioner_products"))
        }
    }
}
