import Hummingbird
import Logging
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

    public static let defaultMaximumBodySize = 1024 * 1024

    public init(host: String = "127.0.0.1", port: Int = 8080, basePath: String = "",
                maximumBodySize: Int = ServerConfiguration.defaultMaximumBodySize) {
        self.host = host
        self.port = port
        self.basePath = basePath
        self.maximumBodySize = maximumBodySize
    }
}

/// The composition root: the responder with every route, on a Hummingbird application.
public func buildApplication(
    configuration: ServerConfiguration,
    state: ServerState,
    services: [any Service] = [],
    logger: Logger = Logger(label: "versioner")
) -> some ApplicationProtocol {
    let responder = buildResponder(configuration: configuration, state: state, logger: logger)
    return Application(
        responder: responder,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "versioner"),
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
                           logger: Logger = Logger(label: "versioner")) -> VersionerResponder {
    VersionerResponder(
        routes: probeRoutes + APIRoutes().all,
        basePath: configuration.basePath,
        state: state,
        maximumBodySize: configuration.maximumBodySize,
        logger: logger
    )
}

/// `GET /health` (the process answers) and `GET /ready` (recovery has finished).
private let probeRoutes: [Route] = [
    Route(.get, "/health", handler: .probe { _ in
        Reply.json { writer in
            writer.beginObject()
            writer.field("status", "ok")
            writer.endObject()
        }
    }),
    Route(.get, "/ready", handler: .probe { state in
        guard state.isReady else { return APIError.unavailable.response }
        return Reply.json { writer in
            writer.beginObject()
            writer.field("status", "ready")
            writer.endObject()
        }
    }),
]
