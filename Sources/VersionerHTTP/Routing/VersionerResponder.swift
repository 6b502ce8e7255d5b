import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import VersionerCore
import VersionerStore

/// What the routes work on once recovery has finished.
public struct Backend: Sendable {
    public let tracker: Tracker
    /// Takes a snapshot on demand; nil when the server keeps no files (tests, in-memory journal).
    public let snapshots: (any SnapshotTaking)?
    /// The account slug of the keys this server issues (`sk_<account>_…`).
    public let account: String
    /// The cluster sharing this server's journal; nil on the file journal.
    public let cluster: (any ClusterReporting)?

    public init(tracker: Tracker, snapshots: (any SnapshotTaking)? = nil, account: String = "local",
                cluster: (any ClusterReporting)? = nil) {
        self.tracker = tracker
        self.snapshots = snapshots
        self.account = account
        self.cluster = cluster
    }
}

/// Whether recovery has finished, and then the backend; until it has, only `/health` and
/// `/ready` answer normally. On a shared journal, also this node's part in the cluster.
public final class ServerState: Sendable {
    private struct Current {
        var backend: Backend?
        var node: NodeStatus?
    }
    private let current = Mutex(Current())

    public init(_ backend: Backend? = nil) {
        current.withLock { $0.backend = backend }
    }

    public var backend: Backend? { current.withLock { $0.backend } }
    public var isReady: Bool { current.withLock { $0.backend != nil && ($0.node == nil || $0.node!.role == .owner) } }

    /// This node's part in a cluster; nil on the file journal (the only node, always the owner).
    public var node: NodeStatus? { current.withLock { $0.node } }

    /// Recovery has finished: start serving `backend`.
    public func markReady(_ backend: Backend) {
        current.withLock { $0.backend = backend }
    }

    /// The node's part changed.
    public func update(node: NodeStatus) {
        current.withLock { $0.node = node }
    }

    /// Where to hand a request this node cannot answer itself: the owner, when this node does
    /// not own the journal and either holds no state yet or is asked to write. (A standby
    /// answers reads from the state it follows.)
    func forwardingTarget(for request: Request) -> String? {
        current.withLock { current in
            guard let node = current.node, node.role != .owner, let url = node.ownerURL, node.ownerNode != node.node else {
                return nil
            }
            let reads = request.method == .get || request.method == .head
            return current.backend == nil || !reads ? url : nil
        }
    }
}

/// The front door: runs the middleware, finds the route (``RouteTable``, Hummingbird's router),
/// holds requests back until the server is ready, checks the key, turns every failure into a
/// JSON answer, and logs and counts each request.
public struct VersionerResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    /// Every route.
    public let routes: [Route]
    private let table: RouteTable
    /// Hummingbird middleware run around the routing of every request (CORS), first outermost.
    private let middleware: [any RouterMiddleware<Context>]
    private let metrics: ServerMetrics
    private let logger: Logger

    init(routes: [Route], basePath: String, state: ServerState, maximumBodySize: Int, authenticator: Authenticator,
         middleware: [any RouterMiddleware<Context>] = [], metrics: ServerMetrics, forwarder: Forwarder? = nil, logger: Logger) {
        self.routes = routes
        let handling = RouteHandling(state: state, maximumBodySize: maximumBodySize, authenticator: authenticator,
                                     metrics: metrics, forwarder: forwarder)
        table = RouteTable(routes: routes, basePath: basePath, answer: handling.answer)
        self.middleware = middleware
        self.metrics = metrics
        self.logger = logger
    }

    /// Answers, and logs one line for the request (method, path without query, status, duration
    /// and request id, never a header), returning the request id in `X-Request-Id`. The request
    /// is counted in the metrics under its route pattern (`unmatched` when no route fits).
    public func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        var route: Route?
        var response = try await through(middleware[...], request, context) { request, context in
            let (answered, matched) = await answer(request, context: context)
            route = matched
            return answered
        }
        let requestID = Self.requestID(request.headers[.requestID])
        response.headers[.requestID] = requestID
        let duration = ContinuousClock.now - start
        metrics.recordRequest(method: route == nil ? "other" : request.method.rawValue, route: route?.path ?? "unmatched",
                              status: response.status.code, duration: duration)
        logger.info("request", metadata: [
            "http.method": "\(request.method.rawValue)",
            "http.path": "\(request.uri.path)",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\(duration.milliseconds)",
            "request.id": "\(requestID)",
        ])
        return response
    }

    /// `request` through each of `middleware` in turn, then `innermost`.
    private func through(_ middleware: ArraySlice<any RouterMiddleware<Context>>, _ request: Request, _ context: Context,
                         _ innermost: (Request, Context) async throws -> Response) async throws -> Response {
        guard let outer = middleware.first else { return try await innermost(request, context) }
        return try await outer.handle(request, context: context) { request, context in
            try await through(middleware.dropFirst(), request, context, innermost)
        }
    }

    /// The client's `X-Request-Id` when it is a plain token of at most 128 characters, else a new one.
    static func requestID(_ given: String?) -> String {
        if let given, (1...128).contains(given.utf8.count),
           given.utf8.allSatisfy({ $0 < 0x80 && (Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber || "-_.:".utf8.contains($0)) }) {
            return given
        }
        var random = SystemRandomNumberGenerator()
        let high = random.next() as UInt64
        let low = random.next() as UInt64
        return String(high, radix: 16) + String(low, radix: 16)
    }

    /// The answer, and the route that gave it.
    private func answer(_ request: Request, context: Context) async -> (Response, Route?) {
        await table.respond(to: request, context: context)
    }
}

/// What a matched route needs around its handler: readiness, the key check, and its input.
private struct RouteHandling: Sendable {
    let state: ServerState
    let maximumBodySize: Int
    let authenticator: Authenticator
    let metrics: ServerMetrics
    /// Hands requests to the node that owns the journal (nil: this is the only node).
    let forwarder: Forwarder?

    func answer(_ route: Route, _ parameters: [String: String], _ request: Request, _ context: BasicRequestContext) async -> Response {
        let handle: @Sendable (RequestInput) async throws(APIError) -> Response
        switch route.handler {
        case .probe(let probe):
            return await probe(state, request)
        case .api(let api):
            handle = api
        }
        // A request handed over once is never handed on again (two nodes with stale views of
        // each other would pass it back and forth): it is answered here, 503 if need be.
        if let forwarder, request.headers[.forwardedBy] == nil, let owner = state.forwardingTarget(for: request) {
            return await forwarder.forward(request, to: owner)
        }
        guard let backend = state.backend else { return APIError.unavailable.response }
        var client: String?
        if let scope = route.scope {
            switch authenticator.authorize(request, needs: scope, tracker: backend.tracker) {
            case .success(let holder): client = holder
            case .failure(let refusal): return refusal.response
            }
        }
        // The path as the client should use it again: slashes collapsed, its trailing `/` kept.
        let segments = request.uri.path.split(separator: "/")
        let path = "/" + segments.joined(separator: "/") + (request.uri.path.hasSuffix("/") ? "/" : "")
        let input = RequestInput(backend: backend, request: request, context: context, parameters: parameters,
                                 query: QueryParameters(request.uri.query), path: path,
                                 maximumBodySize: route.bodyLimit ?? maximumBodySize, metrics: metrics, authenticator: authenticator)
        // A POST from a known client is one whose retry is recognised (docs/API.md §8).
        if request.method == .post, let client {
            return await Idempotency.answer(input, client: client, pattern: route.pattern, handle)
        }
        do {
            return try await handle(input)
        } catch {
            return error.response
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
