import Hummingbird
import VersionerCore

/// One endpoint: a method, a path pattern and what answers it.
public struct Route: Sendable {
    /// One part of a path pattern.
    public enum Segment: Hashable, Sendable {
        case literal(String)
        /// A path parameter, such as the `id` of `/products/{id}`.
        case parameter(String)
    }

    /// What answers a route.
    enum Handler: Sendable {
        /// Answers at any time, also while the server is recovering (`/health`, `/ready`, and
        /// the public `/openapi.json`, `/docs`, `/metrics`).
        case probe(@Sendable (ServerState, Request) async -> Response)
        /// Needs the recovered state: answered 503 until recovery has finished.
        case api(@Sendable (RequestInput) async throws(APIError) -> Response)
    }

    public let method: HTTPRequest.Method
    public let segments: [Segment]
    /// The scope a key needs; nil for the public routes.
    public let scope: Scope?
    /// Whether the route is part of the API (and so of its OpenAPI document); the dashboard's
    /// pages are not.
    public let isDocumented: Bool
    /// The largest body this route takes, when not the server's (an import's is larger).
    let bodyLimit: Int?
    let handler: Handler

    /// A route that needs a key: by default `read` for GET and `admin` for everything else.
    init(_ method: HTTPRequest.Method, _ pattern: String, scope: Scope? = nil, bodyLimit: Int? = nil,
         _ handler: @escaping @Sendable (RequestInput) async throws(APIError) -> Response) {
        self.init(method, pattern, scope: scope ?? (method == .get ? .read : .admin), handler: .api(handler), bodyLimit: bodyLimit)
    }

    /// A public probe, answered also while the server recovers.
    init(probe method: HTTPRequest.Method, _ pattern: String, _ probe: @escaping @Sendable (ServerState) async -> Response) {
        self.init(method, pattern, scope: nil, handler: .probe({ state, _ in await probe(state) }))
    }

    /// A public answer that does not change while the server runs (the API's document and
    /// page): with an entity tag, 304 to a matching `If-None-Match`, compressed when accepted.
    init(static method: HTTPRequest.Method, _ pattern: String, _ body: EncodedBody) {
        self.init(method, pattern, scope: nil, handler: .probe({ _, request in body.response(to: request) }))
    }

    /// A page of the dashboard: no key at the door (the page checks its session itself), and
    /// not in the API's document.
    init(page method: HTTPRequest.Method, _ pattern: String,
         _ handler: @escaping @Sendable (RequestInput) async throws(APIError) -> Response) {
        self.init(method, pattern, scope: nil, handler: .api(handler), isDocumented: false)
    }

    /// A file of the dashboard (its stylesheet, its script): public, not in the API's document.
    init(asset method: HTTPRequest.Method, _ pattern: String, _ body: EncodedBody, headers: HTTPFields) {
        self.init(method, pattern, scope: nil, handler: .probe({ _, request in body.response(to: request, headers: headers) }),
                  isDocumented: false)
    }

    private init(_ method: HTTPRequest.Method, _ pattern: String, scope: Scope?, handler: Handler, isDocumented: Bool = true,
                 bodyLimit: Int? = nil) {
        self.method = method
        self.scope = scope
        self.isDocumented = isDocumented
        self.bodyLimit = bodyLimit
        self.segments = pattern.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
        self.handler = handler
    }

    /// Whether the route answers before recovery has finished.
    public var isProbe: Bool {
        if case .probe = handler { return true }
        return false
    }

    /// The pattern as written in the API documentation: collections end in `/` (`/products/`),
    /// items and probes do not (`/products/{id}`, `/health`).
    public var path: String {
        if case .literal? = segments.last, !isProbe { return pattern + "/" }
        return pattern
    }

    /// The pattern as the router takes it, without a trailing `/`: `/products/{id}`.
    var pattern: String {
        "/" + segments.map { segment -> String in
            switch segment {
            case .literal(let text): return text
            case .parameter(let name): return "{\(name)}"
            }
        }.joined(separator: "/")
    }
}

/// What a handler gets: the request, its path parameters and query, and the limits in force.
struct RequestInput: Sendable {
    var backend: Backend
    var request: Request
    var context: BasicRequestContext
    var parameters: [String: String]
    var query: QueryParameters
    /// The request path as the client should use it again (base path included, slashes collapsed).
    var path: String
    var maximumBodySize: Int
    var metrics: ServerMetrics
    var authenticator: Authenticator
    /// Who sent this POST and its body's digest, for recognising retries (nil for other requests).
    var identity: RequestIdentity?

    /// The name of the key the request came with (the configured admin key is `admin`).
    var keyName: String? { authenticator.keyName(of: request, tracker: tracker) }

    var tracker: Tracker { backend.tracker }

    /// The path parameter `name` as an id, or a 422 naming it.
    func id(_ name: String = "id") throws(APIError) -> EntityID {
        guard let text = parameters[name], let id = EntityID(uuidString: text) else {
            throw APIError(ValidationFailure([FieldError(["path", name], .notUUID)]))
        }
        return id
    }

    /// The body as a JSON object: 413 when over the limit, 415 for a form or other non-JSON
    /// media type, 400 when it is not JSON or not an object.
    func jsonObject() async throws(APIError) -> [JSONMember] {
        if let contentType = request.headers[.contentType], !Self.acceptsAsJSON(contentType) {
            throw APIError(.unsupportedMediaType, "Unsupported media type: send application/json")
        }
        var copy = self
        let buffer = try await copy.bufferedBody()
        let bytes = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
        guard case .object(let members)? = try? JSONParser.parse(bytes) else { throw APIError.invalidJSON }
        return members
    }

    /// The whole body, at most ``maximumBodySize`` bytes (else 413); read once, then kept in
    /// `request` for whoever reads it next.
    mutating func bufferedBody() async throws(APIError) -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maximumBodySize {
            throw APIError.bodyTooLarge
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBodySize)
        } catch {
            throw APIError.bodyTooLarge
        }
        request.body = RequestBody(buffer: buffer)
        return buffer
    }

    /// JSON and the media types that clients send JSON under by mistake (curl's default form
    /// type, text/plain) are parsed as JSON; multipart and other types are refused.
    static func acceptsAsJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: " \t").lowercased() } ?? ""
        return mediaType.isEmpty || mediaType == "application/json" || mediaType.hasSuffix("+json")
            || mediaType == "application/x-www-form-urlencoded" || mediaType == "text/plain" || mediaType == "*/*"
    }
}

extension Substring {
    func trimmingCharacters(in characters: String) -> String {
        let set = Set(characters)
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
