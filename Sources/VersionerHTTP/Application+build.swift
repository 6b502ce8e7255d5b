import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import VersionerCore

/// How the HTTP server runs. Built from `versioner serve`'s flags; tests build one directly.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// A path prefix the API is mounted under, such as `/api/v1` (empty: at the root).
    public var basePath: String
    /// Bodies larger than this are refused with 413.
    public var maximumBodySize: Int
    /// The largest body `POST /import/` takes (`--max-import-size`).
    public var maximumImportSize: Int
    /// A key accepted as an admin key without being stored (`VERSIONER_ADMIN_KEY`).
    public var bootstrapAdminKey: String?
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Duration
    /// A request must arrive whole within this time from the connection's start or the end of
    /// the previous answer; a client that trickles bytes is cut off.
    public var requestTimeout: Duration
    /// Connections beyond this many wait to be accepted.
    public var maximumConnections: Int
    /// At most this many header fields, of at most `maximumHeaderBytes` together.
    public var maximumHeaderCount: Int
    public var maximumHeaderBytes: Int
    /// Whether `GET /metrics` needs a key with the `read` scope (by default it is public, as
    /// Prometheus scrapers expect).
    public var metricsRequireKey: Bool
    /// The origin of a web page (a dashboard on another host) allowed to call the API from a
    /// browser, such as `https://dash.example.com`, or `*` for any; nil allows none (no CORS headers).
    public var corsOrigin: String?
    /// Whether the server serves its dashboard (the pages at `/` and `/ui/…`).
    public var dashboard: Bool
    /// How long a dashboard sign-in lasts.
    public var sessionLifetime: Duration
    /// Whether the session cookie is marked `Secure` (behind TLS; also set when a proxy sends
    /// `X-Forwarded-Proto: https`).
    public var cookieSecure: Bool
    /// This node's name when it shares its journal with others (a database journal): requests it
    /// cannot answer itself are handed to the owner. Nil: the only node.
    public var nodeName: String?
    /// Whether webhooks may send to loopback, private and link-local addresses (`--webhook-allow-private`).
    public var webhookAllowPrivate: Bool

    public static let defaultMaximumBodySize = 1024 * 1024
    public static let defaultMaximumImportSize = 64 * 1024 * 1024

    public init(host: String = "127.0.0.1", port: Int = 8080, basePath: String = "",
                maximumBodySize: Int = ServerConfiguration.defaultMaximumBodySize, bootstrapAdminKey: String? = nil,
                idleTimeout: Duration = .seconds(60), requestTimeout: Duration = .seconds(30),
                maximumConnections: Int = 1024, maximumHeaderCount: Int = 100, maximumHeaderBytes: Int = 32 * 1024,
                metricsRequireKey: Bool = false, corsOrigin: String? = nil, dashboard: Bool = true,
                sessionLifetime: Duration = .seconds(12 * 3_600), cookieSecure: Bool = false, nodeName: String? = nil,
                maximumImportSize: Int = ServerConfiguration.defaultMaximumImportSize, webhookAllowPrivate: Bool = false) {
        self.maximumImportSize = maximumImportSize
        self.webhookAllowPrivate = webhookAllowPrivate
        self.host = host
        self.port = port
        self.basePath = basePath
        self.maximumBodySize = maximumBodySize
        self.bootstrapAdminKey = bootstrapAdminKey
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maximumConnections = maximumConnections
        self.maximumHeaderCount = maximumHeaderCount
        self.maximumHeaderBytes = maximumHeaderBytes
        self.metricsRequireKey = metricsRequireKey
        self.corsOrigin = corsOrigin
        self.dashboard = dashboard
        self.sessionLifetime = sessionLifetime
        self.cookieSecure = cookieSecure
        self.nodeName = nodeName
    }
}

/// The composition root: the responder with every route, on a Hummingbird application.
public func buildApplication(
    configuration: ServerConfiguration,
    state: ServerState,
    services: [any Service] = [],
    metrics: ServerMetrics = ServerMetrics(),
    logger: Logger = Logger(label: "versioner")
) -> some ApplicationProtocol {
    let responder = buildResponder(configuration: configuration, state: state, metrics: metrics, logger: logger)
    let requestTimeout = TimeAmount.nanoseconds(Int64(configuration.requestTimeout.milliseconds * 1_000_000))
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [RequestDeadlineHandler(timeout: requestTimeout)],
        idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.milliseconds * 1_000_000)),
        httpDecoderConfiguration: .init(maxHeaderFieldSize: configuration.maximumHeaderBytes,
                                        maxHeaderListSize: configuration.maximumHeaderBytes,
                                        maxHeaderFieldCount: configuration.maximumHeaderCount))
    return Application(
        responder: responder,
        server: .http1(configuration: http1),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "versioner",
                             availableConnectionsDelegate: .maximum(configuration.maximumConnections, logger: logger)),
        services: services,
        onServerRunning: { channel in
            logger.info("listening", metadata: [
                "http.host": "\(configuration.host)", "http.port": "\(channel.localAddress?.port ?? configuration.port)",
            ])
        },
        logger: logger
    )
}

/// The responder alone, for tests that walk its routes.
public func buildResponder(configuration: ServerConfiguration, state: ServerState,
                           metrics: ServerMetrics = ServerMetrics(),
                           logger: Logger = Logger(label: "versioner")) -> VersionerResponder {
    let sessions = configuration.dashboard ? SessionStore(lifetime: configuration.sessionLifetime) : nil
    let authenticator = Authenticator(bootstrapToken: configuration.bootstrapAdminKey, sessions: sessions)
    let dashboard = sessions.map {
        Dashboard(basePath: configuration.basePath, sessions: $0, authenticator: authenticator, cookieSecure: configuration.cookieSecure)
    }
    return VersionerResponder(
        routes: probeRoutes + APIDocumentation(basePath: configuration.basePath).routes
            + [metricsRoute(metrics, requireKey: configuration.metricsRequireKey), clusterRoute] + APIRoutes(
                maximumImportSize: configuration.maximumImportSize,
                webhooks: WebhookRoutes(policy: AddressPolicy(allowPrivate: configuration.webhookAllowPrivate), logger: logger)).all
            + (dashboard?.routes ?? []),
        basePath: configuration.basePath,
        state: state,
        maximumBodySize: configuration.maximumBodySize,
        authenticator: authenticator,
        middleware: middleware(configuration),
        metrics: metrics,
        forwarder: configuration.nodeName.map {
            Forwarder(node: $0, maximumBodySize: configuration.maximumBodySize, logger: logger)
        },
        logger: logger
    )
}

/// Hummingbird middleware around every route, in order (the first is outermost).
func middleware(_ configuration: ServerConfiguration) -> [any RouterMiddleware<BasicRequestContext>] {
    guard let origin = configuration.corsOrigin else { return [] }
    // A browser page on another origin: answer its preflight, and let it read the headers a
    // client of this API uses. Keys travel in `Authorization`, not cookies: no credentials.
    let exposed = ["ETag", "Link", "Retry-After", "X-Request-Id"]
    return [
        CORSMiddleware(
            allowOrigin: origin == "*" ? .all : .custom(origin),
            allowHeaders: [.accept, .authorization, .contentType, .ifNoneMatch, .requestID],
            allowMethods: [.get, .post, .patch, .delete, .options],
            exposedHeaders: exposed,
            maxAge: .seconds(600)),
        ExposedHeadersMiddleware(headers: exposed.joined(separator: ", ")),
    ]
}

/// Names the headers a cross-origin page may read on each answer. A browser reads
/// `Access-Control-Expose-Headers` from the answer itself, not from the preflight, where
/// Hummingbird's `CORSMiddleware` (2.28) alone puts it.
struct ExposedHeadersMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let headers: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.headers[.origin] != nil, request.method != .options {
            response.headers[.accessControlExposeHeaders] = headers
        }
        return response
    }
}

/// `GET /metrics`: the Prometheus text format. Public (answered also while recovering) unless
/// the server requires a `read` key for it.
private func metricsRoute(_ metrics: ServerMetrics, requireKey: Bool) -> Route {
    @Sendable func exposition(_ backend: Backend?) async -> Response {
        let counts = await backend?.tracker.counts()
        let exposition = metrics.exposition(counts: counts, outbox: backend?.tracker.outbox)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: exposition)))
    }
    if requireKey {
        return Route(.get, "/metrics", scope: .read) { input in await exposition(input.backend) }
    }
    return Route(probe: .get, "/metrics") { state in await exposition(state.backend) }
}

/// `GET /health` (the process answers) and `GET /ready` (it can answer everything).
private let probeRoutes: [Route] = [
    Route(probe: .get, "/health") { _ in
        Reply.json { writer in
            writer.beginObject()
            writer.field("status", "ok")
            writer.endObject()
        }
    },
    readyRoute,
]
