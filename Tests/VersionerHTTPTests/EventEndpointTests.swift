import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VersionerCore
import VersionerHTTP

/// True for `2026-11-25T18:48:33.948633Z`: RFC 3339, UTC, six fractional digits.
func isTimestamp(_ value: JSONValue?) -> Bool {
    guard let text = value?.stringValue, text.hasSuffix("Z"), text.count == 27 else { return false }
    return Timestamp(rfc3339: text) != nil
}

func isUUID(_ value: JSONValue?) -> Bool {
    value?.stringValue.flatMap { EntityID(uuidString: $0) } != nil
}

@Suite("Event endpoints")
struct EventEndpointTests {
    static let deploymentKeys = [
        "id", "product_id", "product_name", "version_id", "version", "environment_id", "environment_name", "status",
        "deployed_at", "started_at", "completed_at", "deployed_by", "deployed_by_email", "deployed_by_name", "scm_sha",
        "scm_repository", "deploy_url", "build_number", "source_system", "invoke_id", "extra_metadata", "event_id",
        "recorded_at",
    ]
    static let buildKeys = [
        "id", "product_id", "product_name", "version_id", "version", "status", "build_number", "build_url", "scm_sha",
        "scm_branch", "started_at", "completed_at", "extra_metadata", "event_id", "recorded_at",
    ]

    @Test("Every request the real clients send is accepted and answered as the spec says", arguments: ClientFixture.all)
    func clientRequests(fixture: ClientFixture) async throws {
        try await withAPI { api in
            let answer = try await fixture.send(with: api)
            #expect(answer.status == .ok, "\(answer.text)")
            #expect(answer.headers[.contentType] == "application/json")
            let json = answer.json
            let sent = fixture.fields
            let keys = Set(json.objectMembers?.map(\.key) ?? [])
            let isDeployment = fixture.path.contains("deployment")
            #expect(keys.isSuperset(of: isDeployment ? Self.deploymentKeys : Self.buildKeys))
            for key in ["id", "product_id", "version_id", "event_id"] { #expect(isUUID(json[key]), "\(key)") }
            #expect(isTimestamp(json["recorded_at"]))
            #expect(json["product_name"] == sent["product_name"])
            #expect(json["version"] == sent["version"])
            #expect(json["extra_metadata"] == (sent["extra_metadata"] ?? .object([])))
            let canonical = Status(normalizing: sent["status"]?.stringValue ?? "success")!
            #expect(json["status"]?.stringValue == canonical.rawValue)
            for key in ["started_at", "completed_at"] {
                if let given = sent[key]?.stringValue {
                    #expect(Timestamp(rfc3339: json[key]?.stringValue ?? "") == Timestamp(rfc3339: given))
                }
                #expect(json[key]?.isNull == true || isTimestamp(json[key]))
            }
            if isDeployment {
                #expect(isUUID(json["environment_id"]))
                #expect(isTimestamp(json["deployed_at"]))
                #expect(json["environment_name"] == sent["environment_name"])
                #expect(json["deploy_url"] == (sent["deploy_url"] ?? .null))
                #expect(json["deployed_by"] == (sent["deployed_by"] ?? .null))
                if canonical.isTerminal, sent["completed_at"] == nil {
                    #expect(json["completed_at"] == json["recorded_at"])
                }
            } else {
                #expect(json["build_url"] == (sent["build_url"] ?? .null))
                #expect(json["scm_sha"] == (sent["scm_sha"] ?? .null))
            }
        }
    }

    /// The request test above runs once per fixture file: without this, a lost file would pass unseen.
    @Test("Every captured client request is in the repository, for both clients and both kinds of event")
    func fixturesArePresent() {
        let names = ClientFixture.all.map(\.name)
        #expect(names == [
            "action-build.json", "action-deployment.json", "cli-build-all-flags.json", "cli-build-gitlab-ci.json",
            "cli-deployment-all-flags.json", "cli-deployment-github-actions.json", "cli-deployment-jenkins.json",
            "cli-deployment-minimal.json",
        ])
        #expect(ClientFixture.all.allSatisfy { !$0.body.isEmpty && $0.headers["User-Agent"] != nil })
    }

    @Test("Every status alias is accepted and answered with its canonical word", arguments: Status.aliases.map(\.word))
    func statusAliases(word: String) async throws {
        let canonical = Status(normalizing: word)!.rawValue
        try await withAPI { api in
            let deployment = try await api.deploy(status: " \(word.uppercased()) ")
            #expect(deployment.status == .ok)
            #expect(deployment.json["status"]?.stringValue == canonical)
            let build = try await api.build(status: word)
            #expect(build.json["status"]?.stringValue == canonical)
            let events = try await api.get("/events/?limit=1")
            #expect(events.json[0]?["event_type"]?.stringValue == "build.\(canonical)")
        }
    }

    @Test("version-events is the older name of build-events")
    func versionEventsAlias() async throws {
        try await withAPI { api in
            let answer = try await api.post("/version-events/", #"{"product_name": "p", "version": "1"}"#)
            #expect(answer.status == .ok)
            #expect(answer.json["status"]?.stringValue == "completed")
        }
    }

    @Test("An unknown status is a 422 that lists the accepted words")
    func unknownStatus() async throws {
        try await withAPI { api in
            let answer = try await api.deploy(status: "done")
            #expect(answer.status == .unprocessableContent)
            #expect(answer.invalidFields == ["status": "value_error.status"])
            let message = answer.json["detail"]?[0]?["msg"]?.stringValue ?? ""
            for word in Status.acceptedWords { #expect(message.contains(word)) }
        }
    }

    @Test("A 422 lists every invalid field, with the limit of a too-long one")
    func everyInvalidField() async throws {
        try await withAPI { api in
            let body = jsonText([
                "product_name": String(repeating: "p", count: 256), "version": "", "status": "started",
                "scm_sha": String(repeating: "a", count: 41), "started_at": "2025-11-06T15:30:00.123456",
                "extra_metadata": "not an object", "deployed_by": ["x"],
            ])
            let answer = try await api.post("/deployment-events/", body)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.invalidFields == [
                "product_name": "value_error.any_str.max_length", "version": "value_error.missing",
                "environment_name": "value_error.missing", "scm_sha": "value_error.any_str.max_length",
                "started_at": "value_error.datetime", "extra_metadata": "type_error.dict", "deployed_by": "type_error.str",
            ])
            let productError = answer.json["detail"]?.arrayValue?.first { $0["loc"]?[1]?.stringValue == "product_name" }
            #expect(productError?["ctx"]?["limit_value"]?.intValue == 255)
            #expect(productError?["loc"] == .array([.string("body"), .string("product_name")]))
        }
    }

    @Test("Bodies that are not a JSON object are a 400", arguments: ["{not json", "[1, 2]", "\"text\"", "", "null", "{\"a\": 1} trailing"])
    func invalidJSON(body: String) async throws {
        try await withAPI { api in
            let answer = try await api.post("/deployment-events/", body)
            #expect(answer.status == .badRequest)
            #expect(answer.detail == "Invalid JSON in request body")
        }
    }

    @Test("A body over the limit is a 413; extra_metadata over 100 KiB is a 422")
    func sizeLimits() async throws {
        try await withAPI(maximumBodySize: 2048) { api in
            let big = try await api.deploy(extra: ["extra_metadata": ["pad": String(repeating: "x", count: 4096)]])
            #expect(big.status == .contentTooLarge)
            #expect(big.detail == "Request body too large")
        }
        try await withAPI { api in
            let answer = try await api.deploy(extra: ["extra_metadata": ["pad": String(repeating: "x", count: 102_400)]])
            #expect(answer.status == .unprocessableContent)
            #expect(answer.invalidFields == ["extra_metadata": "value_error.any_str.max_length"])
            #expect(answer.json["detail"]?[0]?["ctx"]?["limit_value"]?.intValue == 102_400)
        }
    }

    @Test("A form or other non-JSON media type is a 415")
    func unsupportedMediaType() async throws {
        try await withAPI { api in
            let answer = try await api.call(.post, "/deployment-events/", body: "a=b",
                                            headers: [.contentType: "multipart/form-data; boundary=x"])
            #expect(answer.status == .unsupportedMediaType)
            #expect(answer.detail != nil)
            // curl's default form type still works for a JSON body.
            let curl = try await api.call(.post, "/build-events/", body: #"{"product_name": "p", "version": "1"}"#,
                                          headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(curl.status == .ok)
        }
    }

    @Test("A build giving a version another SHA is a 409 with detail and message, and changes nothing")
    func shaConflict() async throws {
        try await withAPI { api in
            #expect(try await api.build(extra: ["scm_sha": "aaaa"]).status == .ok)
            let conflict = try await api.build(extra: ["scm_sha": "bbbb", "invoke_id": "other"])
            #expect(conflict.status == .conflict)
            #expect(conflict.detail == "Version 1.2.3 already exists with different SHA")
            #expect(conflict.json["message"]?.stringValue == "Version 1.2.3 already exists with different SHA")
            #expect(try await api.get("/builds/").json.arrayValue?.count == 1)
            #expect(try await api.get("/events/").json.arrayValue?.count == 1)
        }
    }

    @Test("A deployment never answers 409 for a SHA, and keeps the version's first SHA")
    func deploymentShaNeverConflicts() async throws {
        try await withAPI { api in
            try await api.build(extra: ["scm_sha": "aaaa"])
            let answer = try await api.deploy(extra: ["scm_sha": "bbbb"])
            #expect(answer.status == .ok)
            let versions = try await api.get("/versions/?product=my-service")
            #expect(versions.json[0]?["scm_sha"]?.stringValue == "aaaa")
        }
    }

    @Test("Bad input of every kind changes nothing and the server keeps serving")
    func badInputChangesNothing() async throws {
        try await withAPI(maximumBodySize: 4096) { api in
            let bad: [(String, String)] = [
                ("/deployment-events/", "{"), ("/deployment-events/", "[]"), ("/deployment-events/", #"{"product_name": "p"}"#),
                ("/deployment-events/", #"{"product_name": "p", "version": "1", "environment_name": "e", "status": "??"}"#),
                ("/build-events/", #"{"product_name": "p", "version": "1", "started_at": "yesterday"}"#),
                ("/build-events/", String(repeating: " ", count: 5000)),
                ("/products/", #"{"name": ""}"#),
            ]
            for (path, body) in bad {
                let answer = try await api.post(path, body)
                #expect((400..<500).contains(answer.status.code), "\(path) \(body.prefix(40))")
                #expect(answer.json["detail"] != nil)
            }
            #expect(try await api.get("/events/").json == .array([]))
            #expect(try await api.get("/products/").json == .array([]))
            #expect(try await api.get("/environments/").json == .array([]))
            #expect(try await api.deploy().status == .ok)
        }
    }

    @Test("started then success from the CLI update one deployment; completed_at is kept as given")
    func lifecycleOverHTTP() async throws {
        try await withAPI { api in
            let started = try await api.deploy(status: "started", extra: ["invoke_id": "run-1", "completed_at": "2025-10-23T10:10:00+02:00"])
            #expect(started.json["completed_at"]?.stringValue == "2025-10-23T08:10:00.000000Z")
            let done = try await api.deploy(status: "success", extra: ["invoke_id": "run-1"])
            #expect(done.json["id"] == started.json["id"])
            #expect(done.json["event_id"] != started.json["event_id"])
            #expect(done.json["completed_at"] == done.json["recorded_at"])
            #expect(try await api.get("/deployments/").json.arrayValue?.count == 1)
        }
    }
}
