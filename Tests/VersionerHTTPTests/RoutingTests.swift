import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VersionerCore
import VersionerHTTP

@Suite("Paths, probes and errors")
struct RoutingTests {
    static let minimalDeployment = #"{"product_name": "p", "version": "1", "environment_name": "e", "status": "success"}"#

    @Test("Both path forms and repeated slashes reach the same endpoint, without redirects",
          arguments: ["/deployment-events/", "/deployment-events", "//deployment-events/", "/deployment-events//", "///deployment-events"])
    func pathForms(path: String) async throws {
        try await withAPI { api in
            let answer = try await api.post(path, Self.minimalDeployment)
            #expect(answer.status == .ok)
        }
    }

    @Test("A base path is honoured, with repeated slashes before and after it",
          arguments: ["/api/v1/deployment-events/", "/api/v1//deployment-events/", "//api/v1/deployment-events", "/api//v1/deployment-events/"])
    func basePath(path: String) async throws {
        try await withAPI(basePath: "/api/v1") { api in
            let answer = try await api.post(path, Self.minimalDeployment)
            #expect(answer.status == .ok)
        }
    }

    @Test("Outside the base path nothing is served")
    func outsideBasePath() async throws {
        try await withAPI(basePath: "/api/v1") { api in
            let answer = try await api.post("/deployment-events/", Self.minimalDeployment)
            #expect(answer.status == .notFound)
            #expect(answer.detail == "Not Found")
            #expect(try await api.get("/api/v1/health").status == .ok)
        }
    }

    @Test("Unknown paths are a JSON 404; a known path with the wrong method a JSON 405 with Allow")
    func notFoundAndMethodNotAllowed() async throws {
        try await withAPI { api in
            let missing = try await api.get("/nothing-here/")
            #expect(missing.status == .notFound)
            #expect(missing.detail == "Not Found")
            let wrongMethod = try await api.get("/deployment-events/")
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.detail == "Method Not Allowed")
            #expect(wrongMethod.headers[.allow] == "POST")
            let products = try await api.call(.put, "/products/")
            #expect(products.headers[.allow] == "GET, POST")
            // Methods outside the standard ones too, on a known path; an unknown path stays a 404.
            let query = try await api.call(HTTPRequest.Method("QUERY")!, "/products/")
            #expect(query.status == .methodNotAllowed)
            #expect(query.headers[.allow] == "GET, POST")
            #expect(try await api.call(HTTPRequest.Method("QUERY")!, "/nothing-here/").status == .notFound)
        }
    }

    @Test("health and ready answer with JSON bodies")
    func probes() async throws {
        try await withAPI { api in
            let health = try await api.get("/health")
            #expect(health.json == .object([JSONMember("status", .string("ok"))]))
            let ready = try await api.get("/ready/")
            #expect(ready.status == .ok)
        }
    }

    @Test("Until recovery finishes every request but health and ready is a 503 with Retry-After")
    func notReady() async throws {
        try await withAPI(ready: false) { api in
            #expect(try await api.get("/health").status == .ok)
            let ready = try await api.get("/ready")
            #expect(ready.status == .serviceUnavailable)
            let write = try await api.post("/deployment-events/", Self.minimalDeployment)
            #expect(write.status == .serviceUnavailable)
            #expect(write.detail == "Service temporarily unavailable")
            #expect(write.headers[.retryAfter] == "1")
            #expect(try await api.get("/state/").status == .serviceUnavailable)
        }
    }

    @Test("Ids in paths must be UUIDs (422); unknown ones are a 404 naming the kind")
    func pathIDs() async throws {
        try await withAPI { api in
            let notUUID = try await api.get("/deployments/42")
            #expect(notUUID.status == .unprocessableContent)
            #expect(notUUID.invalidFields == ["id": "type_error.uuid"])
            for (path, detail) in [("products", "Product not found"), ("environments", "Environment not found"),
                                   ("versions", "Version not found"), ("builds", "Build not found"),
                                   ("deployments", "Deployment not found")] {
                let answer = try await api.get("/\(path)/0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e")
                #expect(answer.status == .notFound)
                #expect(answer.detail == detail)
            }
        }
    }

    @Test("Invalid list parameters are a 422 naming each", arguments: [
        ("/deployments/?limit=0", ["limit": "type_error.integer"]),
        ("/deployments/?limit=1001", ["limit": "type_error.integer"]),
        ("/deployments/?limit=ten&cursor=zzz", ["limit": "type_error.integer", "cursor": "value_error.cursor"]),
        ("/deployments/?since=yesterday&status=weird", ["since": "value_error.datetime", "status": "value_error.status"]),
        ("/environments/?type=prod", ["type": "type_error.enum"]),
        ("/events/?type=deployment.done", ["type": "type_error.enum"]),
        ("/state/?type=x", ["type": "type_error.enum"]),
    ])
    func invalidQuery(path: String, fields: [String: String]) async throws {
        try await withAPI { api in
            let answer = try await api.get(path)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.invalidFields == fields)
        }
    }
}

@Suite("Request logs")
struct RequestLogTests {
    @Test("Each request gets one log line and an X-Request-Id; a client's own id is kept")
    func requestIDs() async throws {
        let capture = LogCapture()
        try await withAPI(logger: capture.logger) { api in
            let generated = try await api.get("/health")
            let id = try #require(generated.headers[HTTPField.Name("X-Request-Id")!])
            #expect(id.count >= 16)
            let given = try await api.call(.get, "/products/?limit=5", headers: [HTTPField.Name("X-Request-Id")!: "build-42.attempt-1"])
            #expect(given.headers[HTTPField.Name("X-Request-Id")!] == "build-42.attempt-1")
            let hostile = try await api.call(.get, "/products/", headers: [HTTPField.Name("X-Request-Id")!: "a b\u{7F}"])
            #expect(hostile.headers[HTTPField.Name("X-Request-Id")!] != "a b\u{7F}")
        }
        let requests = capture.all.filter { $0.contains("request") && $0.contains("http.status") }
        #expect(requests.count == 3)
        #expect(requests.contains { $0.contains("build-42.attempt-1") && $0.contains("/products/") && $0.contains("200") })
        #expect(requests.allSatisfy { $0.hasPrefix("info") && !$0.contains("limit=5") })
    }
}
