import Testing
import VersionerCore
@testable import VersionerHTTP

@Suite("Insights endpoints")
struct InsightsEndpointTests {
    @Test("Bad windows are a 422 naming each parameter, and an unknown product or environment a 404")
    func badInput() async throws {
        try await withAPI { api in
            try await api.deploy()
            for (path, fields) in [
                ("/insights/dora/?interval=year", ["interval"]),
                ("/insights/dora/?tz=Mars%2FOlympus&interval=hour", ["interval", "tz"]),
                ("/insights/builds/?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", ["since"]),
                ("/insights/builds/?since=2022-01-01T00:00:00Z&until=2026-01-01T00:00:00Z&interval=day", ["interval"]),
                ("/insights/dora/?environment_type=prod", ["environment_type"]),
                ("/insights/builds/?until=yesterday", ["until"]),
            ] {
                let answer = try await api.get(path)
                #expect(answer.status == .unprocessableContent, "\(path)")
                let named = answer.json["detail"]?.arrayValue?.compactMap { $0["loc"]?[1]?.stringValue } ?? []
                #expect(named.sorted() == fields, "\(path)")
            }
            #expect(try await api.get("/insights/builds/?product=nope").status == .notFound)
            #expect(try await api.get("/insights/dora/?product=nope").status == .notFound)
            #expect(try await api.get("/insights/dora/?environment=nowhere").status == .notFound)
        }
    }

    @Test("A DORA answer without samples has null figures, counts of 0 and every bucket")
    func nullFigures() async throws {
        try await withAPI { api in
            try await api.deploy(to: "staging")
            let answer = try await api.get(
                "/insights/dora/?since=2026-03-02T00:00:00Z&until=2026-03-16T00:00:00Z&tz=Europe%2FBerlin")
            #expect(answer.status == .ok)
            let json = answer.json
            #expect(json["change_fail_rate"]?["rate"] == .null && json["change_fail_rate"]?["deployments"]?.intValue == 0)
            #expect(json["change_lead_time"]?["median_hours"] == .null && json["rework_rate"]?["rate"] == .null)
            #expect(json["deployment_frequency"]?["per_day"] == .number("0.0"))
            #expect(json["tz"]?.stringValue == "Europe/Berlin" && json["interval"]?.stringValue == "week")
            // Berlin weeks: 2 March 00:00 local is 1 March 23:00 UTC, and `until` (16 March 01:00
            // local) opens a third week.
            #expect(json["buckets"]?.arrayValue?.count == 3)
            #expect(json["buckets"]?[0]?["start"]?.stringValue == "2026-03-01T23:00:00.000000Z")
        }
    }

    @Test("Deployments show is_rollback, versions their readiness, in every answer that holds them")
    func flagsInAnswers() async throws {
        try await withAPI { api in
            try await api.build("web", "1", extra: ["extra_metadata": ["checks": ["unit_tests": "passed"]]])
            try await api.deploy("web", "1")
            try await api.deploy("web", "2")
            let back = try await api.deploy("web", "1")
            #expect(back.json["is_rollback"] == .bool(true))
            let listed = try await api.get("/deployments/?product=web").json.arrayValue ?? []
            #expect(listed.map { $0["is_rollback"] } == [.bool(true), .bool(false), .bool(false)])
            let state = try await api.get("/state/?product=web").json
            let cell = state["products"]?[0]?["environments"]?["production"]
            #expect(cell?["is_rollback"] == .bool(true) && cell?["latest"]?["is_rollback"] == .bool(true))
            let versions = try await api.get("/versions/?product=web&ready=true").json.arrayValue ?? []
            #expect(versions.map { $0["version"]?.stringValue } == ["1"])
            #expect(versions.first?["readiness"]?["checks"]?["unit_tests"]?.stringValue == "passed")
            #expect(try await api.get("/versions/?ready=maybe").status == .unprocessableContent)
            let events = try await api.get("/events/?product=web").json.arrayValue ?? []
            #expect(events.map { $0["is_rollback"] } == [.bool(true), .bool(false), .bool(false), .null])
        }
    }
}
