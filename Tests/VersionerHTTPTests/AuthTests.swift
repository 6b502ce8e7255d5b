import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import VersionerCore
import VersionerHTTP

/// Keeps every log line (message and metadata) for searching.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        var logger = Logger(label: "capture") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.append("\(event.level) \(event.message) \(merged)")
        }
    }
}

@Suite("API keys and scopes")
struct AuthTests {
    /// A concrete path for a route pattern: parameters become a random UUID.
    static func path(of route: Route) -> String {
        route.path.replacingOccurrences(of: "{id}", with: "0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e")
    }

    /// A key that has every scope but the one needed.
    static func scopesLacking(_ scope: Scope) -> [Scope] {
        switch scope {
        case .admin: return [.read, .eventsWrite, .approve]
        case .read: return [.eventsWrite]
        case .eventsWrite: return [.read]
        case .approve: return [.read, .eventsWrite]
        }
    }

    @Test("Every route but the public ones refuses without a key (401) and with a key of the wrong scope (403)")
    func everyRouteIsGuarded() async throws {
        try await withAPI { api in
            let responder = buildResponder(configuration: ServerConfiguration(), state: ServerState(Backend(tracker: api.tracker)))
            let apiRoutes = responder.routes.filter(\.isDocumented)
            let guarded = apiRoutes.filter { $0.scope != nil }
            #expect(guarded.count > 20)
            #expect(Set(apiRoutes.filter { $0.scope == nil }.map(\.path))
                    == ["/health", "/ready", "/openapi.json", "/docs", "/metrics"])
            for route in guarded {
                let scope = try #require(route.scope)
                let path = Self.path(of: route)
                let body = route.method == .get || route.method == .delete ? nil : "{}"
                let anonymous = try await api.with(key: nil).call(route.method, path, body: body)
                #expect(anonymous.status == .unauthorized, "\(route.method) \(route.path)")
                #expect(anonymous.detail == "Invalid authentication credentials")
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
                let wrong = try await api.tracker.issueKey(name: "wrong", description: nil, scopes: Self.scopesLacking(scope),
                                                           account: "local")
                let refused = try await api.with(key: wrong.token).call(route.method, path, body: body)
                #expect(refused.status == .forbidden, "\(route.method) \(route.path)")
                #expect(refused.detail == "You do not have permission to perform this action")
            }
            for route in apiRoutes where route.scope == nil {
                let answer = try await api.with(key: nil).call(route.method, Self.path(of: route))
                #expect(answer.status == .ok)
            }
            // The dashboard's pages send a visitor without a session to sign in; only the sign-in
            // form, its stylesheet and the script answer.
            for route in responder.routes where !route.isDocumented {
                let answer = try await api.with(key: nil).call(route.method, Self.path(of: route))
                switch (route.method, route.path) {
                case (.get, "/ui/login/"), (.get, "/ui/style.css"), (.get, "/ui/app.js"):
                    #expect(answer.status == .ok, "\(route.path)")
                case (.post, "/ui/login/"):
                    #expect(answer.status == .unauthorized)
                case (.post, "/ui/logout/"):
                    #expect(answer.status == .seeOther && answer.headers[.location] == "/ui/login")
                default:
                    #expect(answer.status == .seeOther, "\(route.path)")
                    #expect(answer.headers[.location]?.hasPrefix("/ui/login?next=%2F") == true, "\(route.path)")
                }
            }
        }
    }

    @Test("Malformed, unknown and non-Bearer credentials are all a 401", arguments: [
        "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer sk_local_nope", "Bearer sk_local_abcdefabcdef_" + String(repeating: "x", count: 43),
        "Bearer " + testAdminKey + "x", "Token " + testAdminKey,
    ])
    func badCredentials(header: String) async throws {
        try await withAPI { api in
            let answer = try await api.with(key: nil).call(.get, "/products/", headers: [.authorization: header])
            #expect(answer.status == .unauthorized)
            let lowercase = try await api.with(key: nil).call(.get, "/products/", headers: [.authorization: "bearer \(testAdminKey)"])
            #expect(lowercase.status == .ok)
        }
    }

    @Test("A created key is shown once, in the documented format, and works until revoked")
    func createUseRevoke() async throws {
        try await withAPI { api in
            let created = try await api.post("/api-keys/", #"{"name": "ci", "description": "GitHub Actions", "scopes": ["events:write"]}"#)
            #expect(created.status == .created)
            let token = try #require(created.json["key"]?.stringValue)
            let parts = token.split(separator: "_")
            #expect(parts.count == 4 && parts[0] == "sk" && parts[1] == "local")
            #expect(parts[2].count == 12 && parts[3].count >= 32)
            #expect(parts[3].allSatisfy { $0.isLetter || $0.isNumber })
            #expect(created.json["prefix"]?.stringValue == "sk_local_\(parts[2])")
            #expect(created.json["scopes"] == .array([.string("events:write")]))
            #expect(created.json["last_used_at"]?.isNull == true && created.json["revoked_at"]?.isNull == true)
            let id = try #require(created.json["id"]?.stringValue)

            let listed = try await api.get("/api-keys/")
            #expect(!listed.text.contains(String(parts[3])))
            #expect(listed.json[0]?["key"] == nil)
            #expect(try await api.get("/api-keys/\(id)").json["name"]?.stringValue == "ci")

            let ci = api.with(key: token)
            #expect(try await ci.deploy().status == .ok)
            #expect(try await ci.get("/deployments/").status == .forbidden)
            #expect(isTimestamp(try await api.get("/api-keys/\(id)").json["last_used_at"]))

            #expect(try await api.delete("/api-keys/\(id)").status == .noContent)
            #expect(try await ci.deploy().status == .unauthorized)
            #expect(isTimestamp(try await api.get("/api-keys/\(id)").json["revoked_at"]))
            #expect(try await api.delete("/api-keys/0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e").status == .notFound)
        }
    }

    @Test("Key requests are validated", arguments: [
        (#"{"name": "x"}"#, ["scopes": "value_error.missing"]),
        (#"{"name": "x", "scopes": []}"#, ["scopes": "value_error.missing"]),
        (#"{"name": "x", "scopes": ["root"]}"#, ["0": "type_error.enum"]),
        (#"{"scopes": "admin"}"#, ["name": "value_error.missing", "scopes": "type_error.enum"]),
    ])
    func keyValidation(body: String, fields: [String: String]) async throws {
        try await withAPI { api in
            let answer = try await api.post("/api-keys/", body)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.invalidFields == fields)
        }
    }

    @Test("The real clients work with an events:write key, and not with a read key", arguments: ClientFixture.all)
    func clientsWithKeys(fixture: ClientFixture) async throws {
        try await withAPI { api in
            let writer = try await api.tracker.issueKey(name: "ci", description: nil, scopes: [.eventsWrite], account: "local")
            #expect(try await fixture.send(with: api.with(key: writer.token)).status == .ok)
            let reader = try await api.tracker.issueKey(name: "dash", description: nil, scopes: [.read], account: "local")
            #expect(try await fixture.send(with: api.with(key: reader.token)).status == .forbidden)
        }
    }

    @Test("No log line carries a key or an Authorization header, whatever the request")
    func logsHoldNoSecrets() async throws {
        let capture = LogCapture()
        let issued = LogCapture()  // the keys made inside, to search for afterwards
        try await withAPI(logger: capture.logger) { api in
            let created = try await api.post("/api-keys/", #"{"name": "ci", "scopes": ["events:write"]}"#)
            let token = try #require(created.json["key"]?.stringValue)
            issued.append(token)
            issued.append(String(token.split(separator: "_")[3]))
            _ = try await api.with(key: token).deploy()
            _ = try await api.with(key: token).get("/state/")
            _ = try await api.with(key: token + "tampered").deploy()
            _ = try await api.with(key: nil).call(.get, "/products/", headers: [.authorization: "Bearer \(token)zz"])
            _ = try await api.post("/deployment-events/", "{broken")
        }
        let secrets = [testAdminKey] + issued.all
        #expect(secrets.count == 3)
        let lines = capture.all
        #expect(!lines.isEmpty)
        for line in lines {
            for secret in secrets { #expect(!line.contains(secret), "\(line)") }
            #expect(!line.lowercased().contains("bearer"), "\(line)")
        }
    }
}
