import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VersionerCore
import VersionerHTTP

/// Retries answered again, never recorded twice (docs/API.md §8).
@Suite("Idempotency-Key and the retry window")
struct IdempotencyTests {
    static let key = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    static func deployment(_ version: String = "1.2.3", invokeID: String? = nil) -> String {
        var body: [String: Any] = ["product_name": "my-service", "version": version, "environment_name": "production",
                                   "status": "success"]
        if let invokeID { body["invoke_id"] = invokeID }
        return jsonText(body)
    }

    static func post(_ api: API, _ body: String, key: String? = nil, path: String = "/deployment-events/") async throws -> Answer {
        try await api.call(.post, path, body: body, headers: key.map { [Self.key: $0] } ?? [:])
    }

    @Test("The same key 100 times at once makes one deployment; the others replay it byte for byte or are told it is in progress")
    func parallelRetries() async throws {
        try await withAPI { api in
            let body = Self.deployment()
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for _ in 0..<100 { group.addTask { try await Self.post(api, body, key: "run-42-deploy") } }
                return try await group.reduce(into: [Answer]()) { $0.append($1) }
            }
            let successes = answers.filter { $0.status == .ok }
            let first = try #require(successes.first { $0.headers[Self.replayed] == nil })
            #expect(successes.filter { $0.headers[Self.replayed] == nil }.count == 1)
            for answer in successes { #expect(answer.text == first.text) }
            for answer in answers where answer.status != .ok {
                #expect(answer.status == .conflict)
                #expect(answer.detail == "A request with this Idempotency-Key is in progress")
            }
            #expect(try await api.get("/deployments/").json.arrayValue?.count == 1)
            #expect(try await api.get("/events/").json.arrayValue?.count == 1)
            // Once the first has been answered, every retry is a replay.
            let later = try await Self.post(api, body, key: "run-42-deploy")
            #expect(later.headers[Self.replayed] == "true")
            #expect(later.text == first.text)
        }
    }

    @Test("A replay answers the first answer's bytes even after the deployment changed")
    func replayIsTheFirstAnswer() async throws {
        try await withAPI { api in
            let started = jsonText(["product_name": "my-service", "version": "1.2.3", "environment_name": "production",
                                    "status": "started", "invoke_id": "run-1"])
            let first = try await Self.post(api, started, key: "k-1")
            #expect(first.json["status"]?.stringValue == "started")
            try await api.deploy(extra: ["invoke_id": "run-1"])
            let replay = try await Self.post(api, started, key: "k-1")
            #expect(replay.headers[Self.replayed] == "true")
            #expect(replay.text == first.text)
            #expect(try await api.get("/events/").json.arrayValue?.count == 2)
        }
    }

    @Test("A reused key with another body is a 422, and records nothing")
    func differentBody() async throws {
        try await withAPI { api in
            #expect(try await Self.post(api, Self.deployment("1"), key: "same").status == .ok)
            let reused = try await Self.post(api, Self.deployment("2"), key: "same")
            #expect(reused.status == .unprocessableContent)
            #expect(reused.detail == "Idempotency-Key reused with a different request body")
            // The same body to another endpoint is another request too.
            let elsewhere = try await Self.post(api, Self.deployment("1"), key: "same", path: "/build-events/")
            #expect(elsewhere.status == .unprocessableContent)
            #expect(try await api.get("/versions/").json.arrayValue?.count == 1)
        }
    }

    @Test("Keys are per API key: another client's identical key is its own request")
    func keysPerClient() async throws {
        try await withAPI { api in
            let issued = try await api.tracker.issueKey(name: "ci", description: nil, scopes: [.eventsWrite, .read], account: "local")
            let other = api.with(key: issued.token)
            #expect(try await Self.post(api, Self.deployment(), key: "k").headers[Self.replayed] == nil)
            #expect(try await Self.post(other, Self.deployment(), key: "k").headers[Self.replayed] == nil)
            #expect(try await api.get("/deployments/").json.arrayValue?.count == 2)
        }
    }

    @Test("A key expires after 24 hours; a failed request keeps nothing; an invalid key is a 400", arguments: ["", String(repeating: "x", count: 256), "tab\there"])
    func lifetimeAndFailures(invalid: String) async throws {
        let clock = SettableClock("2026-12-01T10:00:00Z")
        try await withAPI(clock: clock) { api in
            let bad = try await Self.post(api, Self.deployment(), key: invalid)
            #expect(bad.status == .badRequest)
            #expect(try await api.get("/events/").json.arrayValue?.count == 0)
            // A 422 is not kept: the corrected request with the same key... is another body, so
            // the same broken body sent again is evaluated again.
            let broken = #"{"product_name": "my-service"}"#
            #expect(try await Self.post(api, broken, key: "k").status == .unprocessableContent)
            #expect(try await Self.post(api, broken, key: "k").invalidFields["version"] == "value_error.missing")
            #expect(try await Self.post(api, Self.deployment(), key: "\"quoted\"").status == .ok)
            clock.set("2026-12-02T09:59:59Z")
            #expect(try await Self.post(api, Self.deployment(), key: "\"quoted\"").headers[Self.replayed] == "true")
            clock.set("2026-12-02T10:00:00Z")
            #expect(try await Self.post(api, Self.deployment(), key: "\"quoted\"").headers[Self.replayed] == nil)
            #expect(try await api.get("/events/").json.arrayValue?.count == 2)
        }
    }

    @Test("Any POST takes a key: a product created twice with one key is created once")
    func otherWrites() async throws {
        try await withAPI { api in
            let body = #"{"name": "billing"}"#
            let first = try await Self.post(api, body, key: "create-billing", path: "/products/")
            #expect(first.status == .created)
            let again = try await Self.post(api, body, key: "create-billing", path: "/products/")
            #expect(again.status == .created)
            #expect(again.headers[Self.replayed] == "true")
            #expect(again.text == first.text)
        }
    }

    @Test("Without a key, an identical event with the same invoke_id within 10 s is a retry; without an invoke_id it is not")
    func implicitWindow() async throws {
        let clock = SettableClock("2026-12-01T10:00:00Z")
        try await withAPI(clock: clock) { api in
            let body = Self.deployment(invokeID: "run-7")
            let first = try await Self.post(api, body)
            clock.set("2026-12-01T10:00:09Z")
            let retry = try await Self.post(api, body)
            #expect(retry.headers[Self.replayed] == "true")
            #expect(retry.json["id"] == first.json["id"])
            #expect(try await api.get("/events/").json.arrayValue?.count == 1)
            // Past the window the same event is recorded again (and correlates to its deployment).
            clock.set("2026-12-01T10:00:10Z")
            #expect(try await Self.post(api, body).headers[Self.replayed] == nil)
            #expect(try await api.get("/events/").json.arrayValue?.count == 2)
            // Without an invoke_id, repeated identical events stay separate deployments.
            let plain = Self.deployment("2.0.0")
            #expect(try await Self.post(api, plain).headers[Self.replayed] == nil)
            #expect(try await Self.post(api, plain).headers[Self.replayed] == nil)
            #expect(try await api.get("/deployments/?version=2.0.0").json.arrayValue?.count == 2)
        }
    }

    @Test("The CLI's retry pattern (503, 502, then success) records one event")
    func cliRetryPattern() async throws {
        let fixture = try JSONValue(parsing: String(contentsOf: ClientFixture.directory.deletingLastPathComponent()
            .appending(path: "client-responses/cli-retry-503-502-then-201.json"), encoding: .utf8))
        let exchanges = try #require(fixture["exchanges"]?.arrayValue)
        let tracker = Tracker(shardCount: 2, journal: InMemoryJournal())
        let state = ServerState()
        let app = buildApplication(configuration: ServerConfiguration(port: 0, bootstrapAdminKey: testAdminKey), state: state,
                                   logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let api = API(client: client, tracker: tracker)
            for (index, exchange) in exchanges.enumerated() {
                let body = try #require(exchange["request"]?["body"]).serialized
                // The first attempt meets a server still recovering; the second a proxy whose
                // upstream is away (it never reaches the server); the third is answered.
                if index == 1 { continue }
                if index == 2 { state.markReady(Backend(tracker: tracker)) }
                let answer = try await api.post("/deployment-events/", body)
                #expect(answer.status.code == (index == 0 ? 503 : 200))
            }
            #expect(try await api.get("/events/").json.arrayValue?.count == 1)
        }
    }

    @Test("Kept answers survive a restart: the journal replayed gives the same replay")
    func survivesRestart() async throws {
        let journal = InMemoryJournal()
        let clock = SettableClock("2026-12-01T10:00:00Z")
        let first = try await serve(Tracker(shardCount: 2, journal: journal, clock: clock)) { api in
            try await Self.post(api, Self.deployment(invokeID: "run-9"), key: "k-restart").text
        }
        var state = TrackerState()
        for change in journal.changes { state.apply(change) }
        clock.set("2026-12-01T11:00:00Z")
        try await serve(Tracker(shardCount: 2, journal: InMemoryJournal(), clock: clock, state: state)) { api in
            let replay = try await Self.post(api, Self.deployment(invokeID: "run-9"), key: "k-restart")
            #expect(replay.headers[Self.replayed] == "true")
            #expect(replay.text == first)
            #expect(try await api.get("/events/").json.arrayValue?.count == 1)
        }
    }

    @Test("An event durable whose answer was never kept (a crash between) is replayed from what it made")
    func eventWithoutKeptAnswer() async throws {
        let journal = InMemoryJournal()
        let first = try await serve(Tracker(shardCount: 2, journal: journal)) { api in
            try await Self.post(api, Self.deployment(), key: "k-crash").json
        }
        // The process stopped after the event was durable and before its answer was journaled.
        var state = TrackerState()
        for change in journal.changes {
            if case .requestAnswered = change { continue }
            state.apply(change)
        }
        try await serve(Tracker(shardCount: 2, journal: InMemoryJournal(), state: state)) { api in
            let replay = try await Self.post(api, Self.deployment(), key: "k-crash")
            #expect(replay.headers[Self.replayed] == "true")
            #expect(replay.json["id"] == first["id"])
            #expect(try await api.get("/events/").json.arrayValue?.count == 1)
        }
    }

    private func serve<T: Sendable>(_ tracker: Tracker, _ body: @Sendable (API) async throws -> T) async throws -> T {
        let app = buildApplication(configuration: ServerConfiguration(port: 0, bootstrapAdminKey: testAdminKey),
                                   state: ServerState(Backend(tracker: tracker)), logger: Logger(label: "test"))
        return try await app.test(.router) { client in
            try await body(API(client: client, tracker: tracker))
        }
    }
}
