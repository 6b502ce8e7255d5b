import Foundation
import HTTPTypes
import Synchronization
import Testing
import VersionerCore
import VersionerHTTP

/// Imports, exports and history as it was (docs/API.md §10), through the HTTP API.
@Suite("Imports, exports and history as it was")
struct HistoryEndpointTests {
    static let ndjson: HTTPFields = [.contentType: "application/x-ndjson"]

    /// `count` events of past deployments and builds over 40 products and 4 environments, in time
    /// order: each deployment a started and a completed event with their own times.
    static func pastEvents(_ count: Int) -> [(type: String, event: [String: Any])] {
        let environments = ["dev", "test", "staging", "production"]
        var events: [(type: String, event: [String: Any])] = []
        var minute = 0
        func time(_ minutes: Int) -> String {
            Timestamp(microseconds: Timestamp(rfc3339: "2024-01-01T00:00:00Z")!.microseconds + Int64(minutes) * 60_000_000).rfc3339
        }
        var index = 0
        while events.count < count {
            let product = "product-\(index % 40)"
            let version = "1.\(index / 160).\(index % 7)"
            if index % 5 == 0 {
                events.append(("build", ["product_name": product, "version": version, "status": "success",
                                         "scm_sha": String(format: "%07x", index / 160 * 1000 + index % 7), "started_at": time(minute),
                                         "completed_at": time(minute + 3)]))
            }
            let environment = environments[index % 4]
            let run = "run-\(index)"
            events.append(("deployment", ["product_name": product, "version": version, "environment_name": environment,
                                          "status": "started", "invoke_id": run, "started_at": time(minute + 4)]))
            events.append(("deployment", ["product_name": product, "version": version, "environment_name": environment,
                                          "status": index % 9 == 0 ? "failed" : "success", "invoke_id": run,
                                          "completed_at": time(minute + 9)]))
            minute += 11
            index += 1
        }
        return Array(events.prefix(count))
    }

    static func lines(_ events: [(type: String, event: [String: Any])]) -> String {
        events.map { jsonText(["type": $0.type, "event": $0.event]) }.joined(separator: "\n") + "\n"
    }

    /// An answer without what differs between two servers holding the same history: ids, and
    /// (when `times`) the times each server recorded things itself.
    static func comparable(_ value: JSONValue, times: Bool = false) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.filter { member in
                !(member.key == "id" || member.key.hasSuffix("_id") || member.key.hasSuffix("_ids")
                    || (times && ["recorded_at", "created_at", "updated_at", "deployed_at"].contains(member.key)))
            }.map { JSONMember($0.key, comparable($0.value, times: times)) })
        case .array(let items):
            return .array(items.map { comparable($0, times: times) })
        default:
            return value
        }
    }

    @Test("100 000 past events imported give the state of the same events sent live in time order")
    func importMatchesLive() async throws {
        let events = Self.pastEvents(100_000)
        let live = Tracker(shardCount: 4, journal: InMemoryJournal())
        for (type, event) in events {
            let members = try #require(try JSONValue(parsing: jsonText(event)).objectMembers)
            if type == "build" {
                _ = try await live.record(try BuildEventInput.validate(members).get())
            } else {
                _ = try await live.record(try DeploymentEventInput.validate(members).get())
            }
        }
        let expected = try await withLiveState(live) { try await $0.get("/state/").json }
        let body = Self.lines(events)
        try await withAPI { api in
            let answer = try await api.call(.post, "/import/", body: body, headers: Self.ndjson)
            #expect(answer.status == .ok, "\(answer.text.prefix(500))")
            #expect(answer.json["imported"]?.intValue == 100_000)
            #expect(answer.json["first_event_id"]?.stringValue != nil)
            let state = try await api.get("/state/").json
            // Starts and completions are the events' own; what each server stamped itself differs.
            #expect(Self.comparable(state, times: true) == Self.comparable(expected, times: true))
            #expect(state["products"]?.arrayValue?.count == 40)
        }
    }

    @Test("One bad line at line 99 999 is a 422 naming it, and nothing is recorded")
    func badLineFarIn() async throws {
        var events = Self.pastEvents(100_000)
        events[99_998].event["status"] = "exploded"
        let body = Self.lines(events)
        try await withAPI { api in
            let answer = try await api.call(.post, "/import/", body: body, headers: Self.ndjson)
            #expect(answer.status == .unprocessableContent)
            let problems = try #require(answer.json["detail"]?.arrayValue)
            #expect(problems.count == 1)
            #expect(problems.first?["line"]?.intValue == 99_999)
            #expect(problems.first?["loc"] == .array([.string("event"), .string("status")]))
            #expect(problems.first?["type"]?.stringValue == "value_error.status")
            #expect(try await api.get("/events/").json.arrayValue?.isEmpty == true)
            #expect(try await api.get("/products/").json.arrayValue?.isEmpty == true)
        }
    }

    @Test("Every bad line is named with what is wrong with it", arguments: [
        ("not json", ["line"], "value_error.json"),
        (#"["a list"]"#, ["line"], "value_error.json"),
        (#"{"event": {}}"#, ["type"], "value_error.missing"),
        (#"{"type": "release", "event": {}}"#, ["type"], "type_error.enum"),
        (#"{"type": "build"}"#, ["event"], "value_error.missing"),
        (#"{"type": "build", "event": "x"}"#, ["event"], "type_error.dict"),
        (#"{"type": "build", "event": {"product_name": "a", "status": "success"}}"#, ["event", "version"], "value_error.missing"),
        (#"{"type": "deployment", "event": {"product_name": "a", "version": "1", "status": "success"}}"#,
         ["event", "environment_name"], "value_error.missing"),
        (#"{"type": "build", "event": {"product_name": "a", "version": "1", "status": "success"}, "recorded_at": "2999-01-01T00:00:00Z"}"#,
         ["recorded_at"], "value_error.datetime.future"),
        (#"{"type": "build", "event": {"product_name": "a", "version": "1", "status": "success"}, "recorded_at": "yesterday"}"#,
         ["recorded_at"], "value_error.datetime"),
    ])
    func badLines(line: String, location: [String], type: String) async throws {
        try await withAPI { api in
            let good = #"{"type": "build", "event": {"product_name": "a", "version": "1", "status": "success"}}"#
            let answer = try await api.call(.post, "/import/", body: good + "\n\n" + line + "\n", headers: Self.ndjson)
            #expect(answer.status == .unprocessableContent, "\(answer.text)")
            let problem = answer.json["detail"]?.arrayValue?.first
            #expect(problem?["line"]?.intValue == 3)
            #expect(problem?["loc"] == .array(location.map { .string($0) }))
            #expect(problem?["type"]?.stringValue == type)
            #expect(try await api.get("/events/").json.arrayValue?.isEmpty == true)
        }
    }

    @Test("A build SHA that contradicts its version, already held or earlier in the file, is refused before anything is recorded")
    func shaConflicts() async throws {
        try await withAPI { api in
            try await api.build("a", "1", extra: ["scm_sha": "aaaaaaa"])
            let lines = [
                jsonText(["type": "build", "event": ["product_name": "a", "version": "2", "status": "success", "scm_sha": "bbbbbbb"]]),
                jsonText(["type": "build", "event": ["product_name": "a", "version": "1", "status": "success", "scm_sha": "ccccccc"]]),
                jsonText(["type": "build", "event": ["product_name": "a", "version": "2", "status": "success", "scm_sha": "BBBBBBB"]]),
                jsonText(["type": "build", "event": ["product_name": "a", "version": "2", "status": "success", "scm_sha": "ddddddd"]]),
            ].joined(separator: "\n")
            let answer = try await api.call(.post, "/import/", body: lines, headers: Self.ndjson)
            #expect(answer.status == .unprocessableContent)
            let problems = answer.json["detail"]?.arrayValue ?? []
            #expect(problems.map { $0["line"]?.intValue } == [2, 4])
            #expect(problems.allSatisfy { $0["type"]?.stringValue == "value_error.sha_conflict" })
            #expect(try await api.get("/events/").json.arrayValue?.count == 1)
        }
    }

    @Test("An import over the size limit is a 413; another media type a 415; a read key a 403")
    func limits() async throws {
        try await withAPI(maximumImportSize: 1000) { api in
            let event = #"{"type": "build", "event": {"product_name": "a", "version": "1", "status": "success"}}"#
            let big = Array(repeating: event, count: 20).joined(separator: "\n")
            #expect(try await api.call(.post, "/import/", body: big, headers: Self.ndjson).status == .contentTooLarge)
            #expect(try await api.call(.post, "/import/", body: event, headers: [.contentType: "text/html"]).status == .unsupportedMediaType)
            let reader = try await api.tracker.issueKey(name: "r", description: nil, scopes: [.read], account: "local")
            #expect(try await api.with(key: reader.token).call(.post, "/import/", body: event, headers: Self.ndjson).status == .forbidden)
            #expect(try await api.with(key: reader.token).get("/events/export").status == .forbidden)
            // A body without any event is a mistake, not an import of nothing.
            for empty in ["", "\n \n"] {
                let nothing = try await api.call(.post, "/import/", body: empty, headers: Self.ndjson)
                #expect(nothing.status == .unprocessableContent)
                #expect(nothing.invalidFields["body"] == "value_error.missing")
            }
            let answer = try await api.call(.post, "/import/", body: event, headers: Self.ndjson)
            #expect(answer.json["imported"]?.intValue == 1)
        }
    }

    @Test("Export, then import into an empty server: the state, the DORA figures and the past answer the same")
    func roundTrip() async throws {
        let clock = SettableClock("2026-11-02T09:00:00Z")
        let source = Tracker(shardCount: 3, journal: InMemoryJournal(), clock: clock)
        let exported = try await withLiveState(source) { api in
            try await api.build("billing", "1.0", extra: ["scm_sha": "1111111", "invoke_id": "b1"])
            clock.set("2026-11-02T10:00:00Z")
            try await api.deploy("billing", "1.0", to: "staging", status: "started", extra: ["invoke_id": "d1"])
            clock.set("2026-11-02T10:05:00Z")
            // No completed_at: the server stamps its own time, which the export carries as recorded_at.
            try await api.deploy("billing", "1.0", to: "staging", status: "success", extra: ["invoke_id": "d1"])
            clock.set("2026-11-03T10:00:00Z")
            try await api.deploy("billing", "1.0", to: "production", status: "success")
            clock.set("2026-11-04T10:00:00Z")
            try await api.deploy("billing", "1.1", to: "production", status: "failed")
            try await api.deploy("web", "7", to: "production", status: "success",
                                 extra: ["extra_metadata": ["ticket": "OPS-1", "nested": ["a": [1, 2]]], "deployed_by": "ana"])
            // A refusal is left out: it was never a deployment.
            _ = try await RuleEndpointTests.rule(api, ["name": "no prod", "type": "schedule", "environments": ["production"],
                                                       "schedule": ["timezone": "UTC", "windows": [["days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "23:59"]]]])
            #expect(try await api.deploy("web", "8", to: "production", status: "started").status.code == 423)
            let answer = try await api.get("/events/export")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "application/x-ndjson")
            #expect(answer.text.split(separator: "\n").count == 6)
            // Filters: a product, and a window of recording times.
            #expect(try await api.get("/events/export?product=web").text.split(separator: "\n").count == 1)
            #expect(try await api.get("/events/export?since=2026-11-03T00:00:00Z").text.split(separator: "\n").count == 3)
            #expect(try await api.get("/events/export?until=yesterday").status == .unprocessableContent)
            return answer.text
        }
        let copy = Tracker(shardCount: 2, journal: InMemoryJournal())
        let questions = ["/state/", "/insights/dora/?since=2026-11-01T00:00:00Z&until=2026-11-08T00:00:00Z",
                         "/state/?at=2026-11-02T10:01:00Z", "/deployments/", "/builds/"]
        let answers = try await withLiveState(source) { api in
            var answers: [String: JSONValue] = [:]
            for question in questions { answers[question] = Self.comparable(try await api.get(question).json) }
            return answers
        }
        try await withAPI(tracker: copy) { api in
            let imported = try await api.call(.post, "/import/", body: exported, headers: Self.ndjson)
            #expect(imported.json["imported"]?.intValue == 6, "\(imported.text)")
            for question in questions {
                let mine = Self.comparable(try await api.get(question).json)
                #expect(mine == answers[question], "\(question): \(mine.serialized) vs \(answers[question]?.serialized ?? "")")
            }
        }
    }

    @Test("The matrix and a version as they were: a table of instants, and bad instants refused")
    func asOf() async throws {
        let clock = SettableClock("2026-11-02T10:00:00Z")
        try await withAPI(clock: clock) { api in
            let first = try await api.deploy("api", "1.0", to: "production", status: "success")
            clock.set("2026-11-03T10:00:00Z")
            try await api.deploy("api", "2.0", to: "production", status: "started", extra: ["invoke_id": "r2"])
            clock.set("2026-11-03T10:30:00Z")
            try await api.deploy("api", "2.0", to: "production", status: "success", extra: ["invoke_id": "r2"])
            clock.set("2026-11-05T00:00:00Z")
            for (instant, current, latest) in [("2026-11-02T12:00:00Z", "1.0", "1.0"), ("2026-11-03T10:10:00Z", "1.0", "2.0"),
                                               ("2026-11-04T00:00:00Z", "2.0", "2.0")] {
                let cell = try await api.get("/state/?at=\(instant)").json["products"]?.arrayValue?.first?["environments"]?["production"]
                #expect(cell?["version"]?.stringValue == current, "\(instant)")
                #expect(cell?["latest"]?["version"]?.stringValue == latest, "\(instant)")
            }
            #expect(try await api.get("/state/?at=2026-11-01T00:00:00Z").json["products"]?.arrayValue?.isEmpty == true)
            let versionID = try #require(first.json["version_id"]?.stringValue)
            let then = try await api.get("/versions/\(versionID)?at=2026-11-03T10:10:00Z").json
            #expect(then["deployed_to"]?.arrayValue?.count == 1)
            #expect(try await api.get("/versions/\(versionID)").json["deployed_to"]?.arrayValue?.isEmpty == true)
            #expect(try await api.get("/versions/\(versionID)?at=2026-11-01T00:00:00Z").status == .notFound)
            for bad in ["/state/?at=2026-11-06T00:00:00Z", "/state/?at=last-tuesday", "/versions/\(versionID)?at=2027-01-01T00:00:00Z"] {
                let answer = try await api.get(bad)
                #expect(answer.status == .unprocessableContent, "\(bad)")
                #expect(answer.invalidFields["at"] != nil)
            }
        }
    }

    private func withLiveState<T: Sendable>(_ tracker: Tracker, _ body: @Sendable (API) async throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await withAPI(tracker: tracker) { api in
            let value = try await body(api)
            result.withLock { $0 = value }
        }
        return result.withLock { $0 }!
    }
}
