import Foundation
import HTTPTypes
import Testing
import VersionerCore
@testable import VersionerHTTP

/// `/webhooks/` (docs/API.md §8): what is kept and answered, who may see it, where it may send,
/// and the shape of what is sent. Deliveries to a real receiver are checked live (Tests/live/test_webhooks.py).
@Suite("Webhooks")
struct WebhookEndpointTests {
    /// A public address written as a literal: no name to resolve.
    static let receiver = "https://203.0.113.10/hook"

    @Test("Create, list, read, change and delete a webhook; its secret is never answered")
    func crud() async throws {
        try await withAPI { api in
            let created = try await api.post("/webhooks/", jsonText([
                "name": "prod deploys", "url": Self.receiver, "events": ["deployment.completed", "deployment.failed"],
                "environments": ["production"], "secret": "s3cret", "format": "slack",
            ]))
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"]?.stringValue)
            #expect(created.json["has_secret"] == .bool(true))
            #expect(created.json["format"] == .string("slack"))
            #expect(!created.text.contains("s3cret"))

            let listed = try await api.get("/webhooks/")
            #expect(listed.json.arrayValue?.count == 1)
            #expect(!listed.text.contains("s3cret"))
            #expect(try await api.get("/webhooks/\(id)").json["name"] == .string("prod deploys"))

            let patched = try await api.patch("/webhooks/\(id)", #"{"events": ["deployment.*"], "secret": null}"#)
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(patched.json["events"] == .array([.string("deployment.*")]))
            #expect(patched.json["has_secret"] == .bool(false))
            #expect(patched.json["environments"] == .array([.string("production")]))
            #expect(try api.tracker.webhook(id: EntityID(uuidString: id)!).secret == nil)

            let deliveries = try await api.get("/webhooks/\(id)/deliveries")
            #expect(deliveries.json["deliveries"] == .array([]))
            #expect(deliveries.json["pending"] == .number("0"))

            #expect(try await api.delete("/webhooks/\(id)").status == .noContent)
            #expect(try await api.get("/webhooks/\(id)").status == .notFound)
            #expect(try await api.delete("/webhooks/\(id)").status == .notFound)
            #expect(try await api.patch("/webhooks/\(id)", #"{"name": "x"}"#).status == .notFound)
        }
    }

    @Test("Only an admin key sees or changes webhooks: their URLs are often secrets too")
    func adminOnly() async throws {
        try await withAPI { api in
            let reader = try await api.tracker.issueKey(name: "reader", description: nil, scopes: [.read], account: "local")
            let asReader = api.with(key: reader.token)
            #expect(try await asReader.get("/webhooks/").status == .forbidden)
            let body = jsonText(["name": "w", "url": Self.receiver, "events": ["*"]])
            #expect(try await asReader.post("/webhooks/", body).status == .forbidden)
            #expect(try await api.post("/webhooks/", body).status == .created)
            let id = try #require(api.tracker.webhooks(PageRequest(limit: 10)).items.first?.id)
            #expect(try await asReader.get("/webhooks/\(id)/deliveries").status == .forbidden)
        }
    }

    @Test("A URL that leads to this host or a private network is refused, and nothing is saved", arguments: [
        "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/", "http://192.168.0.10/",
        "http://172.20.0.1/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    ])
    func privateAddresses(url: String) async throws {
        try await withAPI { api in
            let refused = try await api.post("/webhooks/", jsonText(["name": "w", "url": url, "events": ["*"]]))
            #expect(refused.status.code == 422, "\(refused.text)")
            #expect(refused.invalidFields["url"] == "value_error.url.private")
            #expect(try await api.get("/webhooks/").json == .array([]))
        }
    }

    @Test("Addresses are judged by their range", arguments: [
        ([127, 0, 0, 1], true), ([10, 0, 0, 1], true), ([172, 16, 0, 1], true), ([172, 32, 0, 1], false),
        ([192, 168, 1, 1], true), ([169, 254, 1, 1], true), ([100, 64, 0, 1], true), ([8, 8, 8, 8], false),
        ([203, 0, 113, 10], false), ([224, 0, 0, 1], true),
    ] as [([UInt8], Bool)])
    func ranges(address: [UInt8], isPrivate: Bool) {
        #expect(AddressPolicy.isPrivate(address) == isPrivate)
        // The same address mapped into IPv6.
        #expect(AddressPolicy.isPrivate(Array(repeating: 0, count: 10) + [0xff, 0xff] + address) == isPrivate)
    }

    @Test("A changed URL is checked again; with private addresses allowed it is kept")
    func patchedURL() async throws {
        try await withAPI { api in
            let created = try await api.post("/webhooks/", jsonText(["name": "w", "url": Self.receiver, "events": ["*"]]))
            let id = try #require(created.json["id"]?.stringValue)
            let refused = try await api.patch("/webhooks/\(id)", #"{"url": "http://127.0.0.1/"}"#)
            #expect(refused.status.code == 422)
            #expect(try await api.get("/webhooks/\(id)").json["url"] == .string(Self.receiver))
        }
        #expect(await AddressPolicy(allowPrivate: true).refusal(of: WebhookURL("http://127.0.0.1/")!) == nil)
    }

    @Test("Bad bodies get a 422 naming the field", arguments: [
        (#"{"name": "w", "url": "ftp://x/", "events": ["*"]}"#, "url", "value_error.url.scheme"),
        (#"{"name": "w", "url": "https://203.0.113.10/", "events": ["deployment.finished"]}"#, "0", "type_error.enum"),
        (#"{"name": "w", "url": "https://203.0.113.10/", "events": []}"#, "events", "value_error.missing"),
        (#"{"name": "w", "url": "https://203.0.113.10/", "events": ["*"], "format": "teams"}"#, "format", "type_error.enum"),
        (#"{"url": "https://203.0.113.10/", "events": ["*"]}"#, "name", "value_error.missing"),
    ])
    func badBodies(body: String, field: String, type: String) async throws {
        try await withAPI { api in
            let refused = try await api.post("/webhooks/", body)
            #expect(refused.status.code == 422, "\(refused.text)")
            #expect(refused.invalidFields[field] == type, "\(refused.text)")
            #expect(try await api.get("/webhooks/").json == .array([]))
        }
    }

    @Test("The versioner format carries the deployment; Slack's escapes what it shows")
    func messages() async throws {
        let tracker = Tracker(shardCount: 1, journal: InMemoryJournal())
        let recorded = try await tracker.record(DeploymentEventInput(
            productName: "<shop> & co", version: "2.1", environmentName: "production", status: .failed,
            [.deployedByName: "Bob", .deployedBy: "bob", .scmSha: "0123456789abcdef", .scmRepository: "acme/shop"]))
        let facts = WebhookMessage.Facts(recorded.event, dashboardBase: "https://versioner.example.com")
        let body = try JSONValue(parsing: String(decoding: WebhookMessage.body(facts, format: .versioner), as: UTF8.self))
        #expect(body["id"] == .string(recorded.subject.deployment.id.uuidString))
        #expect(body["event_type"] == .string("deployment.failed"))
        #expect(body["is_successful"] == .bool(false))
        #expect(body["deployer"] == .string("Bob"))
        #expect(body["repo_name"] == .string("acme/shop"))
        #expect(body["preflight_status"] == .null)
        #expect(body["source_url"] == .string("https://versioner.example.com/ui/deployments/\(recorded.subject.deployment.id)"))
        let slack = try JSONValue(parsing: String(decoding: WebhookMessage.body(facts, format: .slack), as: UTF8.self))
        let text = try #require(slack["text"]?.stringValue)
        #expect(text.hasPrefix(":x: *&lt;shop&gt; &amp; co* 2.1 deployment failed to *production* by Bob"))
        #expect(text.contains("`0123456789ab`"))
        #expect(text.hasSuffix("<https://versioner.example.com/ui/deployments/\(recorded.subject.deployment.id)|View in Versioner>"))
        #expect(slack["blocks"]?.arrayValue?.first?["text"]?["text"]?.stringValue == text)
    }

    @Test("The signature is the hex HMAC-SHA256 of the body with the secret")
    func signature() {
        // The test vector of RFC 4231's kind that Wikipedia lists for HMAC-SHA256.
        let body = Array("The quick brown fox jumps over the lazy dog".utf8)
        #expect(Attempter.signature(of: body, secret: "key") == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }
}
