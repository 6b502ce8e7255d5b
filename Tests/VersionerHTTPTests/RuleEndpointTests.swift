import Foundation
import HTTPTypes
import Testing
import VersionerCore
import VersionerHTTP

/// Deployment rules and preflight (docs/API.md §7), through the HTTP API with a clock set by hand.
@Suite("Deployment rules and preflight")
struct RuleEndpointTests {
    /// Creates a rule and returns its id.
    @discardableResult
    static func rule(_ api: API, _ body: [String: Any]) async throws -> String {
        let answer = try await api.post("/deployment-rules/", jsonText(body))
        #expect(answer.status == .created, "\(answer.text)")
        return try #require(answer.json["id"]?.stringValue)
    }

    static func started(_ api: API, _ version: String = "1.2.3", to environment: String = "production",
                        extra: [String: Any] = [:]) async throws -> Answer {
        try await api.deploy("my-service", version, to: environment, status: "started", extra: extra)
    }

    static var fridayFreeze: [String: Any] { [
        "name": "Friday freeze", "type": "schedule", "environment_types": ["production"],
        "schedule": ["timezone": "Europe/Berlin", "windows": [["days": ["fri"], "start": "15:00", "end": "08:00"]]],
    ] }

    @Test("A weekly window blocks from its first minute through its last, across midnight, in the rule's zone")
    func scheduleBoundaries() async throws {
        // Friday 2026-11-27, Berlin is UTC+1: the window runs 14:00Z Friday to 07:00Z Saturday.
        let clock = SettableClock("2026-11-27T13:59:59Z")
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, Self.fridayFreeze)
            #expect(try await Self.started(api, "1").status == .ok)
            clock.set("2026-11-27T14:00:00Z")
            let first = try await Self.started(api, "2")
            #expect(first.status.code == 423)
            #expect(first.json["detail"]?["code"]?.stringValue == "NO_DEPLOY_WINDOW")
            #expect(first.json["detail"]?["error"]?.stringValue == "deployment_blocked")
            #expect(first.json["detail"]?["retry_after"]?.stringValue == "2026-11-28T07:00:00.000000Z")
            #expect(first.json["detail"]?["details"]?["window_start"]?.stringValue == "2026-11-27T14:00:00.000000Z")
            #expect(first.json["detail"]?["details"]?["rule_name"]?.stringValue == "Friday freeze")
            clock.set("2026-11-28T06:59:59Z")
            #expect(try await Self.started(api, "3").status.code == 423)
            clock.set("2026-11-28T07:00:00Z")
            #expect(try await Self.started(api, "4").status == .ok)
            // Another environment type is out of the rule's scope.
            clock.set("2026-11-27T16:00:00Z")
            #expect(try await Self.started(api, "5", to: "staging").status == .ok)
        }
    }

    @Test("A window across a DST change follows the zone's wall clock", arguments: [
        // Clocks go forward at 02:00 on 2026-03-29: 22:00 CET Saturday to 04:00 CEST Sunday is five hours.
        ("2026-03-29T00:30:00Z", "2026-03-28T21:00:00.000000Z", "2026-03-29T02:00:00.000000Z"),
        // Clocks go back at 03:00 on 2026-10-25: 22:00 CEST Saturday to 04:00 CET Sunday is seven hours.
        ("2026-10-25T02:30:00Z", "2026-10-24T20:00:00.000000Z", "2026-10-25T03:00:00.000000Z"),
    ])
    func scheduleAcrossDST(now: String, start: String, end: String) async throws {
        let clock = SettableClock(now)
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, ["name": "Night", "type": "schedule",
                                      "schedule": ["timezone": "Europe/Berlin",
                                                   "windows": [["days": ["sat"], "start": "22:00", "end": "04:00"]]]])
            let blocked = try await Self.started(api)
            #expect(blocked.status.code == 423)
            #expect(blocked.json["detail"]?["details"]?["window_start"]?.stringValue == start)
            #expect(blocked.json["detail"]?["retry_after"]?.stringValue == end)
            clock.set(end)
            #expect(try await Self.started(api, "2").status == .ok)
        }
    }

    @Test("Windows that touch chain into one block: the weekend freeze retries on Monday morning")
    func chainedWindowsAndOneOff() async throws {
        let clock = SettableClock("2026-11-28T12:00:00Z")
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, ["name": "Weekend", "type": "schedule",
                                      "schedule": ["timezone": "UTC", "windows": [
                                          ["days": ["fri"], "start": "18:00", "end": "00:00"],
                                          ["days": ["sat", "sun"], "start": "00:00", "end": "00:00"],
                                          ["days": ["mon"], "start": "00:00", "end": "08:00"]]]])
            let blocked = try await Self.started(api)
            #expect(blocked.json["detail"]?["details"]?["window_start"]?.stringValue == "2026-11-27T18:00:00.000000Z")
            #expect(blocked.json["detail"]?["retry_after"]?.stringValue == "2026-11-30T08:00:00.000000Z")
        }
        clock.set("2026-12-24T10:00:00Z")
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, ["name": "Holidays", "type": "schedule",
                                      "schedule": ["timezone": "UTC", "reason": "Holidays",
                                                   "windows": [["from": "2026-12-24T00:00:00Z", "to": "2027-01-02T00:00:00Z"]]]])
            let blocked = try await Self.started(api)
            #expect(blocked.status.code == 423)
            #expect(blocked.json["detail"]?["retry_after"]?.stringValue == "2027-01-02T00:00:00.000000Z")
            #expect(blocked.json["detail"]?["details"]?["reason"]?.stringValue == "Holidays")
            clock.set("2027-01-02T00:00:00Z")
            #expect(try await Self.started(api, "2").status == .ok)
        }
    }

    @Test("Flow: the version must complete in staging first, then soak exactly the minutes asked")
    func flowAndSoak() async throws {
        let clock = SettableClock("2026-11-25T10:00:00Z")
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, ["name": "Staging first", "type": "flow", "environments": ["production"],
                                      "flow": ["prerequisites": ["staging"], "soak_minutes": 60]])
            let unstaged = try await Self.started(api)
            #expect(unstaged.status.code == 428)
            #expect(unstaged.json["detail"]?["code"]?.stringValue == "FLOW_VIOLATION")
            #expect(unstaged.json["detail"]?["details"]?["prerequisite"]?.stringValue == "staging")
            #expect(try await api.deploy("my-service", "1.2.3", to: "staging", status: "success").status == .ok)
            clock.advance(minutes: 59)
            let young = try await Self.started(api)
            #expect(young.status.code == 428)
            #expect(young.json["detail"]?["code"]?.stringValue == "INSUFFICIENT_SOAK_TIME")
            #expect(young.json["detail"]?["retry_after"]?.stringValue == "2026-11-25T11:00:00.000000Z")
            #expect(young.json["detail"]?["details"]?["completed_at"]?.stringValue == "2026-11-25T10:00:00.000000Z")
            clock.advance(minutes: 1)
            #expect(try await Self.started(api).status == .ok)
            // Another version has not been to staging.
            #expect(try await Self.started(api, "2.0.0").status.code == 428)
        }
    }

    @Test("Concurrency: of 50 parallel starts with max_in_progress 1, exactly one passes")
    func concurrencyUnderLoad() async throws {
        try await withAPI { api in
            try await Self.rule(api, ["name": "One at a time", "type": "concurrency", "concurrency": ["max_in_progress": 1]])
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for index in 0..<50 {
                    group.addTask { try await Self.started(api, "1.0.\(index)") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let passed = answers.filter { $0.status == .ok }
            let refused = answers.filter { $0.status == .conflict }
            #expect(passed.count == 1)
            #expect(refused.count == 49)
            let winner = try #require(passed.first?.json["id"]?.stringValue)
            for answer in refused {
                #expect(answer.json["detail"]?["code"]?.stringValue == "CONCURRENT_DEPLOYMENT")
                #expect(answer.json["detail"]?["details"]?["conflicting_deployment_id"]?.stringValue == winner)
            }
            #expect(try await api.get("/deployments/").json.arrayValue?.count == 1)
            // Completing the running one frees the slot; an update of a running deployment is never evaluated.
            #expect(try await api.deploy("my-service", passed[0].json["version"]!.stringValue!, status: "success").status == .ok)
            #expect(try await Self.started(api, "9.9.9").status == .ok)
            #expect(try await api.deploy("my-service", "9.9.9", status: "started").status == .ok)
        }
    }

    @Test("Approval: blocked until the version has the approvals it needs for that environment")
    func approvals() async throws {
        try await withAPI { api in
            try await Self.rule(api, ["name": "Two approvals", "type": "approval", "environment_types": ["production"],
                                      "approval": ["required_approvals": 2]])
            try await api.build("my-service", "1.2.3")
            let versionID = try #require(try await api.get("/versions/?product=my-service").json[0]?["id"]?.stringValue)
            let none = try await Self.started(api)
            #expect(none.status.code == 428)
            #expect(none.json["detail"]?["details"]?["current_approvals"] == .number("0"))
            let approver = try await api.tracker.issueKey(name: "release-manager", description: nil, scopes: [.approve],
                                                          account: "local")
            let reader = try await api.tracker.issueKey(name: "reader", description: nil, scopes: [.read], account: "local")
            #expect(try await api.with(key: reader.token)
                .post("/versions/\(versionID)/approvals", #"{"environment": "production"}"#).status == .forbidden)
            let first = try await api.with(key: approver.token)
                .post("/versions/\(versionID)/approvals", #"{"environment": "production", "comment": "ok"}"#)
            #expect(first.status == .created)
            #expect(first.json["approved_by"]?.stringValue == "release-manager")
            // An approval for another environment does not count.
            #expect(try await api.post("/versions/\(versionID)/approvals", #"{"environment": "staging"}"#).status == .created)
            let one = try await Self.started(api)
            #expect(one.json["detail"]?["details"]?["current_approvals"] == .number("1"))
            #expect(try await api.post("/versions/\(versionID)/approvals", #"{"environment": "production"}"#).status == .created)
            #expect(try await api.get("/versions/\(versionID)/approvals").json.arrayValue?.count == 3)
            #expect(try await Self.started(api).status == .ok)
            // Withdrawn, the approval no longer counts for the next deployment.
            let approvalID = try #require(first.json["id"]?.stringValue)
            #expect(try await api.with(key: approver.token).delete("/approvals/\(approvalID)").status == .noContent)
            #expect(try await api.delete("/approvals/\(approvalID)").status == .notFound)
            #expect(try await api.deploy("my-service", "1.2.3", status: "success").status == .ok)
            #expect(try await Self.started(api).status.code == 428)
            #expect(try await api.post("/versions/0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e/approvals",
                                       #"{"environment": "production"}"#).status == .notFound)
        }
    }

    @Test("An approval follows its environment's rename and goes when the environment is deleted")
    func approvalsFollowTheirEnvironment() async throws {
        try await withAPI { api in
            #expect(try await api.deploy("other", "1.0", to: "production", status: "success").status == .ok)
            let environments = try await api.get("/environments/").json.arrayValue ?? []
            let environmentID = try #require(environments.first { $0["name"]?.stringValue == "production" }?["id"]?.stringValue)
            try await Self.rule(api, ["name": "Approve", "type": "approval", "environments": ["production"],
                                      "approval": ["required_approvals": 1]])
            try await api.build("my-service", "1.2.3")
            let versionID = try #require(try await api.get("/versions/?product=my-service").json[0]?["id"]?.stringValue)
            #expect(try await api.post("/versions/\(versionID)/approvals", #"{"environment": "production"}"#).status == .created)
            #expect(try await api.post("/versions/\(versionID)/approvals", #"{"environment": "staging"}"#).status == .created)

            #expect(try await api.patch("/environments/\(environmentID)", #"{"name": "live"}"#).status == .ok)
            let renamed = try await api.get("/versions/\(versionID)/approvals").json.arrayValue ?? []
            #expect(renamed.compactMap { $0["environment"]?.stringValue }.sorted() == ["live", "staging"])
            // The rule now names "live", and the approval counts there.
            #expect(try await Self.started(api, to: "live").status == .ok)

            #expect(try await api.delete("/environments/\(environmentID)").status == .noContent)
            let left = try await api.get("/versions/\(versionID)/approvals").json.arrayValue ?? []
            #expect(left.compactMap { $0["environment"]?.stringValue } == ["staging"])
        }
    }

    @Test("Report-only rules never block, disabled ones are not evaluated, and both leave the answer readable")
    func reportOnlyAndDisabled() async throws {
        let clock = SettableClock("2026-11-27T16:00:00Z")
        try await withAPI(clock: clock) { api in
            var freeze = Self.fridayFreeze
            freeze["mode"] = "report_only"
            try await Self.rule(api, freeze)
            try await Self.rule(api, ["name": "Off", "type": "approval", "mode": "disabled", "approval": ["required_approvals": 1]])
            // A clean pass answers as without rules.
            clock.set("2026-11-28T09:00:00Z")
            let clean = try await Self.started(api, "0")
            #expect(clean.status == .ok && clean.json["extra_metadata"] == .object([]))
            clock.set("2026-11-27T16:00:00Z")
            let answer = try await Self.started(api)
            #expect(answer.status == .ok)
            let evaluated = try #require(answer.json["extra_metadata"]?["preflight_status"]?["rules_evaluated"]?.arrayValue)
            #expect(evaluated.count == 1)
            #expect(evaluated[0]["rule_name"]?.stringValue == "Friday freeze")
            #expect(evaluated[0]["status"]?.stringValue == "report_only")
            #expect(evaluated[0]["evaluation_result"]?.stringValue == "failed")
            #expect(evaluated[0]["error_message"]?.stringValue == "No deployments allowed during Friday freeze")
            let violations = try await api.get("/deployment-rules/violations").json.arrayValue ?? []
            #expect(violations.count == 1)
            #expect(violations[0]["mode"]?.stringValue == "report_only")
            #expect(violations[0]["event_id"] == answer.json["event_id"])
            // The stored deployment keeps its own metadata; preflight_status is the answer's.
            let id = try #require(answer.json["id"]?.stringValue)
            #expect(try await api.get("/deployments/\(id)").json["extra_metadata"] == .object([]))
        }
    }

    @Test("skip_preflight_checks skips the rules that allow it, is recorded, and leaves the others in force")
    func skipping() async throws {
        let clock = SettableClock("2026-11-27T16:00:00Z")
        try await withAPI(clock: clock) { api in
            let freezeID = try await Self.rule(api, Self.fridayFreeze)
            let skipped = try await Self.started(api, extra: ["skip_preflight_checks": true])
            #expect(skipped.status == .ok)
            #expect(skipped.json["preflight_skipped"] == .bool(true))
            let id = try #require(skipped.json["id"]?.stringValue)
            #expect(try await api.get("/deployments/\(id)").json["preflight_skipped"] == .bool(true))
            let violations = try await api.get("/deployment-rules/violations?rule=Friday%20freeze").json.arrayValue ?? []
            #expect(violations.first?["skipped"] == .bool(true))
            let events = try await api.get("/events/?type=deployment").json.arrayValue ?? []
            #expect(events.first?["preflight_skipped"] == .bool(true))
            #expect(try await api.patch("/deployment-rules/\(freezeID)", #"{"allow_skip": false}"#).status == .ok)
            let refused = try await Self.started(api, "2", extra: ["skip_preflight_checks": true])
            #expect(refused.status.code == 423)
            #expect(try await api.deploy("my-service", "1.2.3", status: "success").status == .ok)
            #expect(try await Self.started(api, "3", extra: ["skip_preflight_checks": "yes"]).status == .unprocessableContent)
        }
    }

    @Test("A refusal creates no deployment and is kept as a deployment.preflight_failed event naming the rule")
    func refusalIsLogged() async throws {
        let clock = SettableClock("2026-11-27T16:00:00Z")
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, Self.fridayFreeze)
            #expect(try await Self.started(api).status.code == 423)
            #expect(try await api.get("/deployments/").json.arrayValue?.isEmpty == true)
            let events = try await api.get("/events/?type=deployment.preflight_failed").json.arrayValue ?? []
            #expect(events.count == 1)
            #expect(events[0]["event_type"]?.stringValue == "deployment.preflight_failed")
            #expect(events[0]["rule_name"]?.stringValue == "Friday freeze")
            #expect(events[0]["deployment_id"] == .null)
            #expect(try await api.get("/events/?type=deployment.started").json.arrayValue?.isEmpty == true)
            let violations = try await api.get("/deployment-rules/violations?environment=production").json.arrayValue ?? []
            #expect(violations.count == 1)
            #expect(violations[0]["blocked"] == .bool(true))
            #expect(violations[0]["event_id"] == events[0]["id"])
            #expect(try await api.get("/deployment-rules/violations?product=other").json.arrayValue?.isEmpty == true)
        }
    }

    @Test("When several rules fail, concurrency answers before schedule, flow and approval")
    func evaluationOrder() async throws {
        let clock = SettableClock("2026-11-27T16:00:00Z")
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, ["name": "Approve", "type": "approval", "approval": ["required_approvals": 1]])
            try await Self.rule(api, ["name": "Flow", "type": "flow", "environments": ["production"],
                                      "flow": ["prerequisites": ["staging"]]])
            #expect(try await Self.started(api).json["detail"]?["code"]?.stringValue == "FLOW_VIOLATION")
            try await Self.rule(api, Self.fridayFreeze)
            #expect(try await Self.started(api).json["detail"]?["code"]?.stringValue == "NO_DEPLOY_WINDOW")
        }
    }

    @Test("The dry run says what the rules would decide and records nothing")
    func dryRun() async throws {
        let clock = SettableClock("2026-11-27T16:00:00Z")
        try await withAPI(clock: clock) { api in
            try await Self.rule(api, Self.fridayFreeze)
            let body = #"{"product_name": "my-service", "version": "1.2.3", "environment_name": "production"}"#
            let answer = try await api.post("/preflight/", body)
            #expect(answer.status == .ok)
            #expect(answer.json["allowed"] == .bool(false))
            #expect(answer.json["blocked_by"]?["status"] == .number("423"))
            #expect(answer.json["blocked_by"]?["rule_name"]?.stringValue == "Friday freeze")
            #expect(answer.json["rules_evaluated"]?[0]?["evaluation_result"]?.stringValue == "failed")
            #expect(try await api.get("/events/").json.arrayValue?.isEmpty == true)
            #expect(try await api.get("/products/").json.arrayValue?.isEmpty == true)
            clock.set("2026-11-28T09:00:00Z")
            #expect(try await api.post("/preflight/", body).json["allowed"] == .bool(true))
            #expect(try await api.post("/preflight/", "{}").invalidFields.count == 3)
        }
    }

    @Test("A bad rule is refused with every problem listed, and nothing is saved")
    func badRules() async throws {
        try await withAPI { api in
            let problems: [(body: [String: Any], field: String, type: String)] = [
                (["name": "x", "type": "freeze"], "type", "type_error.enum"),
                (["name": "x", "type": "concurrency", "mode": "loud", "concurrency": ["max_in_progress": 1]], "mode", "type_error.enum"),
                (["name": "x", "type": "concurrency", "concurrency": ["max_in_progress": 0]], "max_in_progress", "type_error.integer"),
                (["name": "x", "type": "schedule", "schedule": ["timezone": "Mars/Olympus", "windows": [["start": "10:00", "end": "11:00"]]]],
                 "timezone", "value_error.time_zone"),
                (["name": "x", "type": "schedule", "schedule": ["timezone": "UTC", "windows": [["start": "25:00", "end": "11:00"]]]],
                 "start", "value_error.time"),
                (["name": "x", "type": "flow", "environments": ["production"], "flow": ["prerequisites": ["production"]]],
                 "0", "value_error.flow.prerequisite"),
                (["name": "x", "type": "approval"], "approval", "value_error.missing"),
                (["type": "approval", "approval": ["required_approvals": 1]], "name", "value_error.missing"),
            ]
            for problem in problems {
                let answer = try await api.post("/deployment-rules/", jsonText(problem.body))
                #expect(answer.status == .unprocessableContent, "\(problem.body)")
                #expect(answer.invalidFields[problem.field] == problem.type, "\(answer.text)")
            }
            // Every problem of one body at once.
            let many = try await api.post("/deployment-rules/", jsonText([
                "name": "", "type": "schedule", "mode": "sometimes",
                "schedule": ["timezone": "Nowhere/Land", "windows": [["days": ["funday"], "start": "24:00", "end": "7"]]]]))
            #expect(Set(many.invalidFields.keys) == ["name", "mode", "timezone", "days", "start", "end"])
            #expect(try await api.get("/deployment-rules/").json.arrayValue?.isEmpty == true)
            // A patch that makes a rule invalid changes nothing.
            let id = try await Self.rule(api, ["name": "One", "type": "concurrency", "concurrency": ["max_in_progress": 1]])
            #expect(try await api.patch("/deployment-rules/\(id)", #"{"concurrency": {"max_in_progress": -1}}"#).status
                == .unprocessableContent)
            #expect(try await api.get("/deployment-rules/\(id)").json["concurrency"]?["max_in_progress"] == .number("1"))
        }
    }

    @Test("Rules follow a renamed environment or product, and lose a deleted one from their scope")
    func scopeFollowsCatalog() async throws {
        let clock = SettableClock("2026-11-25T10:00:00Z")
        try await withAPI(clock: clock) { api in
            let id = try await Self.rule(api, ["name": "Flow", "type": "flow", "environments": ["production", "live"],
                                               "products": ["my-service"], "flow": ["prerequisites": ["staging"]]])
            try await api.deploy("my-service", "1.2.3", to: "staging")
            try await api.deploy("my-service", "1.2.3", to: "live")
            let environments = try await api.get("/environments/").json.arrayValue ?? []
            let staging = try #require(environments.first { $0["name"]?.stringValue == "staging" }?["id"]?.stringValue)
            let live = try #require(environments.first { $0["name"]?.stringValue == "live" }?["id"]?.stringValue)
            clock.advance(minutes: 1)
            #expect(try await api.patch("/environments/\(staging)", #"{"name": "preprod"}"#).status == .ok)
            var rule = try await api.get("/deployment-rules/\(id)").json
            #expect(rule["flow"]?["prerequisites"] == .array([.string("preprod")]))
            #expect(rule["updated_at"]?.stringValue == "2026-11-25T10:01:00.000000Z")
            clock.advance(minutes: 1)
            #expect(try await api.delete("/environments/\(live)").status == .noContent)
            rule = try await api.get("/deployment-rules/\(id)").json
            #expect(rule["environments"] == .array([.string("production")]))
            #expect(rule["updated_at"]?.stringValue == "2026-11-25T10:02:00.000000Z")
            let product = try #require(try await api.get("/products/").json[0]?["id"]?.stringValue)
            #expect(try await api.delete("/products/\(product)").status == .noContent)
            rule = try await api.get("/deployment-rules/\(id)").json
            #expect(rule["products"] == .array([]))
            // Its scope named only that product: left empty it would cover every product, so it is off.
            #expect(rule["mode"]?.stringValue == "disabled")
            #expect(try await api.delete("/deployment-rules/\(id)").status == .noContent)
            #expect(try await api.get("/deployment-rules/\(id)").status == .notFound)
        }
    }
}

/// The verdicts of `fixtures/client-responses`, produced by real rules: what each client reads
/// from the answer must parse to what the original service sent.
@Suite("Preflight verdicts as the real clients read them")
struct ClientVerdictTests {
    static let directory = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures/client-responses")

    static func fixture(_ name: String) throws -> (request: JSONValue, status: Int, body: JSONValue) {
        let text = try String(contentsOf: directory.appending(path: name + ".json"), encoding: .utf8)
        let exchange = try #require(try JSONValue(parsing: text)["exchanges"]?[0])
        let status = try #require(exchange["response"]?["status"]?.intValue)
        return (try #require(exchange["request"]?["body"]), status, try #require(exchange["response"]?["body"]))
    }

    /// Equal values; times as instants (`…08:00:00Z` and `…08:00:00.000000Z` are one time to a client).
    static func same(_ ours: JSONValue?, _ theirs: JSONValue?) -> Bool {
        if let a = ours?.stringValue.flatMap({ Timestamp(rfc3339: $0) }), let b = theirs?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) {
            return a == b
        }
        return ours == theirs
    }

    /// Sends the fixture's request as the client did, and checks the block as the CLI reads it
    /// (`detail.code`, `detail.retry_after`, `detail.details.rule_name`, the message and `error`).
    static func expectBlock(_ name: String, api: API, comparing keys: [String]) async throws {
        let fixture = try Self.fixture(name)
        let answer = try await api.post("/deployment-events/", fixture.request.serialized)
        #expect(Int(answer.status.code) == fixture.status, "\(name): \(answer.text)")
        let (ours, theirs) = (answer.json["detail"], fixture.body["detail"])
        for key in ["error", "code", "message", "retry_after"] {
            #expect(Self.same(ours?[key], theirs?[key]), "\(name): \(key)")
        }
        for key in keys {
            #expect(Self.same(ours?["details"]?[key], theirs?["details"]?[key]), "\(name): details.\(key)")
        }
    }

    @Test("423 NO_DEPLOY_WINDOW, as the CLI and the GitHub Action read it")
    func noDeployWindow() async throws {
        let clock = SettableClock("2025-11-01T12:00:00Z")
        try await withAPI(clock: clock) { api in
            try await RuleEndpointTests.rule(api, ["name": "Friday freeze", "type": "schedule", "environments": ["production"],
                                                   "schedule": ["timezone": "UTC", "windows": [
                                                       ["days": ["fri"], "start": "15:00", "end": "00:00"],
                                                       ["days": ["sat", "sun"], "start": "00:00", "end": "00:00"],
                                                       ["days": ["mon"], "start": "00:00", "end": "08:00"]]]])
            for name in ["cli-preflight-423", "action-deployment-preflight-423"] {
                try await Self.expectBlock(name, api: api, comparing: ["rule_name", "window_start", "window_end"])
            }
        }
    }

    @Test("409 CONCURRENT_DEPLOYMENT names the deployment in progress")
    func concurrentDeployment() async throws {
        try await withAPI { api in
            try await RuleEndpointTests.rule(api, ["name": "No concurrent deploys", "type": "concurrency",
                                                   "concurrency": ["max_in_progress": 1]])
            let running = try await api.deploy("my-service", "1.2.2", status: "started")
            try await Self.expectBlock("cli-preflight-409-nofail", api: api, comparing: ["rule_name"])
            let again = try await api.post("/deployment-events/", try Self.fixture("cli-preflight-409-nofail").request.serialized)
            #expect(again.json["detail"]?["details"]?["conflicting_deployment_id"] == running.json["id"])
        }
    }

    @Test("428 FLOW_VIOLATION lists the environments required first")
    func flowViolation() async throws {
        try await withAPI { api in
            try await RuleEndpointTests.rule(api, ["name": "Staging before prod", "type": "flow", "environments": ["production"],
                                                   "flow": ["prerequisites": ["staging"]]])
            try await Self.expectBlock("cli-preflight-428-github", api: api, comparing: ["rule_name", "required_environments"])
        }
    }

    @Test("A report-only failure comes back in extra_metadata.preflight_status, beside the rules that passed")
    func reportOnly() async throws {
        let clock = SettableClock("2026-11-25T10:00:00Z")
        try await withAPI(clock: clock) { api in
            try await RuleEndpointTests.rule(api, ["name": "Soak time 24h", "type": "flow", "mode": "report_only",
                                                   "environments": ["production"],
                                                   "flow": ["prerequisites": ["staging"], "soak_minutes": 1440]])
            try await RuleEndpointTests.rule(api, ["name": "No concurrent deploys", "type": "concurrency",
                                                   "concurrency": ["max_in_progress": 1]])
            try await api.deploy("my-service", "1.2.3", to: "staging")
            clock.advance(minutes: 120)
            let fixture = try Self.fixture("action-deployment-report-only")
            let answer = try await api.post("/deployment-events/", fixture.request.serialized)
            #expect(answer.status == .ok)
            let ours = answer.json["extra_metadata"]?["preflight_status"]?["rules_evaluated"]?.arrayValue ?? []
            let theirs = fixture.body["extra_metadata"]?["preflight_status"]?["rules_evaluated"]?.arrayValue ?? []
            #expect(ours.count == theirs.count)
            for expected in theirs {
                let found = ours.first { $0["rule_name"] == expected["rule_name"] }
                for key in ["status", "evaluation_result", "error_message"] where expected[key] != nil {
                    #expect(found?[key] == expected[key], "\(expected["rule_name"]?.stringValue ?? ""): \(key)")
                }
            }
        }
    }
}
