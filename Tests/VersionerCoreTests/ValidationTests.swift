import Testing
import VersionerCore

@Suite("Validation")
struct ValidationTests {
    func members(_ json: String) throws -> [JSONMember] {
        try #require(try JSONValue(parsing: json).objectMembers)
    }

    func failure<T>(_ result: Result<T, ValidationFailure>) -> [FieldError] {
        if case .failure(let failure) = result { return failure.errors }
        return []
    }

    @Test("A minimal deployment event is valid and defaults nothing it was not given")
    func minimal() throws {
        let result = DeploymentEventInput.validate(try members(
            #"{"product_name": "my-service", "version": "1.2.3", "environment_name": "production", "status": "success", "source_system": "unknown"}"#))
        let input = try result.get()
        #expect(input.status == .completed)
        #expect(input[.sourceSystem] == "unknown")
        #expect(input[.deployedBy] == nil && input.extraMetadata == nil && input.startedAt == nil)
    }

    @Test("Every invalid field is reported at once")
    func allErrors() throws {
        let errors = failure(DeploymentEventInput.validate(try members(
            #"{"product_name": "  ", "environment_name": null, "status": "nope", "scm_sha": {"x": 1},"#
            + #" "started_at": "2025-11-06T15:30:00.123456", "extra_metadata": [1], "deployed_by": true}"#)))
        let byField = Dictionary(errors.map { ($0.location.last!, $0.type) }, uniquingKeysWith: { first, _ in first })
        #expect(byField == [
            "product_name": "value_error.missing", "version": "value_error.missing",
            "environment_name": "value_error.missing", "status": "value_error.status", "scm_sha": "type_error.str",
            "started_at": "value_error.datetime", "extra_metadata": "type_error.dict", "deployed_by": "type_error.str",
        ])
        #expect(errors.allSatisfy { $0.location.first == "body" })
    }

    @Test("skip_preflight_checks must be a boolean, and build_url is checked even beside deploy_url")
    func preflightFlagAndBothURLs() throws {
        let base = #""product_name": "p", "version": "1", "environment_name": "e", "status": "success""#
        for flag in ["true", "false", "null"] {
            #expect(failure(DeploymentEventInput.validate(try members("{\(base), \"skip_preflight_checks\": \(flag)}"))).isEmpty)
        }
        for flag in ["{}", "\"yes\"", "1"] {
            let errors = failure(DeploymentEventInput.validate(try members("{\(base), \"skip_preflight_checks\": \(flag)}")))
            #expect(errors.map(\.type) == ["type_error.bool"], "\(flag)")
        }
        let long = String(repeating: "u", count: 501)
        let errors = failure(DeploymentEventInput.validate(try members(
            "{\(base), \"deploy_url\": \"https://ci/1\", \"build_url\": \"\(long)\"}")))
        #expect(errors.map(\.location) == [["body", "build_url"]])
    }

    @Test("Status words fold ASCII case only and trim Unicode white space")
    func statusFolding() {
        #expect(Status(normalizing: "\u{3000}SUCCESS\u{85}") == .completed)
        #expect(Status(normalizing: "In_Progress") == .started)
        // The Kelvin sign lower-cases to "k" in Unicode; it is not an ASCII letter.
        #expect(Status(normalizing: "s\u{212A}ipped") == nil)
        #expect(Status(normalizing: "\u{FEFF}success") == nil)
        #expect(Status(acceptedWord: "failure") == .failed)
        #expect(Status(acceptedWord: "FAILED") == nil)
        #expect(Status(acceptedWord: " failed") == nil)
    }

    @Test("Lengths count Unicode scalars, and each limit of docs/API.md §3 applies", arguments: [
        ("product_name", 255), ("version", 100), ("environment_name", 100), ("deployed_by", 255),
        ("deployed_by_email", 255), ("deployed_by_name", 255), ("scm_sha", 40), ("scm_repository", 500),
        ("scm_branch", 100), ("deploy_url", 500), ("build_url", 500), ("build_number", 100), ("source_system", 50),
        ("invoke_id", 255),
    ])
    func deploymentLimits(field: String, limit: Int) throws {
        func body(_ value: String) -> [JSONMember] {
            var base: [String: String] = ["product_name": "p", "version": "1", "environment_name": "e", "status": "started"]
            base[field] = value
            return base.map { JSONMember($0.key, .string($0.value)) }
        }
        // "é" as e + combining accent is two scalars; as one precomposed scalar it is one.
        let atLimit = String(repeating: "\u{E9}", count: limit)
        #expect((try? DeploymentEventInput.validate(body(atLimit)).get()) != nil)
        let errors = failure(DeploymentEventInput.validate(body(String(repeating: "e\u{301}", count: limit / 2 + 1))))
        #expect(errors == [FieldError(["body", field], .tooLong(limit: limit))])
        #expect(errors.first?.type == "value_error.any_str.max_length")
        #expect(errors.first?.limitValue == limit)
    }

    @Test("A status longer than 50 characters is a length error, not an unknown status")
    func longStatus() throws {
        let errors = failure(BuildEventInput.validate([
            JSONMember("product_name", .string("p")), JSONMember("version", .string("1")),
            JSONMember("status", .string(String(repeating: "x", count: 51))),
        ]))
        #expect(errors == [FieldError(["body", "status"], .tooLong(limit: 50))])
    }

    @Test("Build events default to completed and check error fields")
    func buildDefaults() throws {
        let input = try BuildEventInput.validate(try members(#"{"product_name": "p", "version": "1", "build_number": 42}"#)).get()
        #expect(input.status == .completed)
        #expect(input[.buildNumber] == "42")  // numbers are taken as their text
        let errors = failure(BuildEventInput.validate([
            JSONMember("product_name", .string("p")), JSONMember("version", .string("1")),
            JSONMember("error_message", .string(String(repeating: "m", count: 2001))),
            JSONMember("error_code", .string(String(repeating: "c", count: 101))),
        ]))
        #expect(errors == [FieldError(["body", "error_message"], .tooLong(limit: 2000)),
                           FieldError(["body", "error_code"], .tooLong(limit: 100))])
    }

    @Test("extra_metadata over 100 KiB serialised is refused")
    func metadataSize() throws {
        func body(padding: Int) -> [JSONMember] {
            [JSONMember("product_name", .string("p")), JSONMember("version", .string("1")),
             JSONMember("extra_metadata", .object([JSONMember("k", .string(String(repeating: "x", count: padding)))]))]
        }
        // {"k":"…"} is 8 bytes around the padding.
        #expect((try? BuildEventInput.validate(body(padding: 102_400 - 8)).get()) != nil)
        #expect(failure(BuildEventInput.validate(body(padding: 102_400 - 7)))
            == [FieldError(["body", "extra_metadata"], .tooLong(limit: 102_400))])
    }

    @Test("Empty optional strings count as absent; unknown fields are ignored")
    func lenient() throws {
        let input = try DeploymentEventInput.validate(try members(
            #"{"product_name": "p", "version": "1", "environment_name": "e", "status": "started", "scm_sha": ""}"#)).get()
        #expect(input.scmSha == nil)
        let withExtras = try DeploymentEventInput.validate(try members(
            #"{"product_name": "p", "version": "1", "environment_name": "e", "status": "started", "skip_preflight_checks": true, "future_field": {"a": 1}}"#)).get()
        #expect(withExtras.productName == "p")
    }

    @Test("build_url is an alias of deploy_url on deployments")
    func deployURLAlias() throws {
        let input = try DeploymentEventInput.validate(try members(
            #"{"product_name": "p", "version": "1", "environment_name": "e", "status": "started", "build_url": "https://ci/1"}"#)).get()
        #expect(input[.deployURL] == "https://ci/1")
    }
}
