import Foundation
import Synchronization
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VersionerCore
import VersionerHTTP

/// An answer with its body parsed as JSON.
struct Answer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var json: JSONValue
    var text: String

    init(_ response: TestResponse) {
        status = response.status
        headers = response.headers
        text = String(buffer: response.body)
        json = (try? JSONValue(parsing: text)) ?? .null
    }

    /// The `detail` message of an error answer.
    var detail: String? { json["detail"]?.stringValue }

    /// The (field, type) pairs of a 422 answer.
    var invalidFields: [String: String] {
        var fields: [String: String] = [:]
        for error in json["detail"]?.arrayValue ?? [] {
            let field = error["loc"]?.arrayValue?.last?.stringValue ?? ""
            fields[field] = error["type"]?.stringValue
        }
        return fields
    }

    var link: String? { headers[HTTPField.Name("Link")!] }
}

/// The admin key the test servers accept (as `VERSIONER_ADMIN_KEY`).
let testAdminKey = "sk_local_testadmin0000_" + String(repeating: "T", count: 40)

/// A test client with one helper per verb; it sends `key` (the admin key unless told otherwise).
struct API {
    let client: any TestClientProtocol
    let tracker: Tracker
    var key: String? = testAdminKey

    /// The same client sending another key (nil: none).
    func with(key: String?) -> API {
        var copy = self
        copy.key = key
        return copy
    }

    func call(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, headers: HTTPFields = [:]) async throws -> Answer {
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        if let key, headers[.authorization] == nil { headers[.authorization] = "Bearer \(key)" }
        let response = try await client.execute(uri: path, method: method, headers: headers,
                                                body: body.map { ByteBuffer(string: $0) })
        return Answer(response)
    }

    func get(_ path: String) async throws -> Answer { try await call(.get, path) }
    func post(_ path: String, _ body: String) async throws -> Answer { try await call(.post, path, body: body) }
    func patch(_ path: String, _ body: String) async throws -> Answer { try await call(.patch, path, body: body) }
    func delete(_ path: String) async throws -> Answer { try await call(.delete, path) }

    /// Posts a deployment event built from the given fields.
    @discardableResult
    func deploy(_ product: String = "my-service", _ version: String = "1.2.3", to environment: String = "production",
                status: String = "success", extra: [String: Any] = [:]) async throws -> Answer {
        var body: [String: Any] = ["product_name": product, "version": version, "environment_name": environment, "status": status]
        body.merge(extra) { _, new in new }
        return try await post("/deployment-events/", jsonText(body))
    }

    @discardableResult
    func build(_ product: String = "my-service", _ version: String = "1.2.3", status: String = "success",
               extra: [String: Any] = [:]) async throws -> Answer {
        var body: [String: Any] = ["product_name": product, "version": version, "status": status]
        body.merge(extra) { _, new in new }
        return try await post("/build-events/", jsonText(body))
    }

    /// Every item of a list, following `Link: rel="next"` until the last page.
    func walk(_ path: String) async throws -> (items: [JSONValue], pages: Int) {
        var items: [JSONValue] = []
        var next: String? = path
        var pages = 0
        while let current = next {
            let answer = try await get(current)
            #expect(answer.status == .ok)
            items += answer.json.arrayValue ?? []
            pages += 1
            next = answer.link.flatMap { link in
                guard let start = link.firstIndex(of: "<"), let end = link.firstIndex(of: ">") else { return nil }
                return String(link[link.index(after: start)..<end])
            }
            if pages > 1000 { break }
        }
        return (items, pages)
    }
}

func jsonText(_ object: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// Runs `body` against a fresh server (in-memory journal), through Hummingbird's router test client.
func withAPI(basePath: String = "", maximumBodySize: Int = ServerConfiguration.defaultMaximumBodySize,
             maximumImportSize: Int = ServerConfiguration.defaultMaximumImportSize, ready: Bool = true,
             metricsRequireKey: Bool = false, corsOrigin: String? = nil, logger: Logger = Logger(label: "test"),
             clock: any WallClock = SystemWallClock(), tracker: Tracker? = nil,
             _ body: @Sendable (API) async throws -> Void) async throws {
    let tracker = tracker ?? Tracker(shardCount: 4, journal: InMemoryJournal(), clock: clock)
    let app = buildApplication(
        configuration: ServerConfiguration(port: 0, basePath: basePath, maximumBodySize: maximumBodySize,
                                           bootstrapAdminKey: testAdminKey, metricsRequireKey: metricsRequireKey,
                                           corsOrigin: corsOrigin, maximumImportSize: maximumImportSize),
        state: ServerState(ready ? Backend(tracker: tracker) : nil), logger: logger)
    try await app.test(.router) { client in
        try await body(API(client: client, tracker: tracker))
    }
}

/// A request exactly as a real client sent it (`Tests/Fixtures/client-requests`).
struct ClientFixture: CustomTestStringConvertible, Sendable {
    let name: String
    let path: String
    let headers: [String: String]
    let body: String

    var testDescription: String { name }

    static let directory = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures/client-requests")

    static func load(_ name: String) -> ClientFixture {
        let data = try! Data(contentsOf: directory.appending(path: name))
        let object = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return ClientFixture(name: name, path: object["path"] as! String,
                             headers: object["headers"] as! [String: String],
                             body: jsonText(object["body"]!))
    }

    static var all: [ClientFixture] {
        let names = try! FileManager.default.contentsOfDirectory(atPath: directory.path()).filter { $0.hasSuffix(".json") }.sorted()
        return names.map(load)
    }

    /// The body's fields, parsed.
    var fields: JSONValue { try! JSONValue(parsing: body) }

    func send(with api: API) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        return try await api.call(.post, path, body: body, headers: fields)
    }
}

/// A clock a test sets by hand.
final class SettableClock: WallClock {
    private let time: Mutex<Timestamp>

    init(_ start: String) {
        time = Mutex(Timestamp(rfc3339: start)!)
    }

    func now() -> Timestamp { time.withLock { $0 } }

    func set(_ text: String) {
        time.withLock { $0 = Timestamp(rfc3339: text)! }
    }

    func advance(minutes: Int) {
        time.withLock { $0 = Timestamp(microseconds: $0.microseconds + Int64(minutes) * 60_000_000) }
    }
}
