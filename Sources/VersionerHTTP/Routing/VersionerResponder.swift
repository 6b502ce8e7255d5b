import Hummingbird
import Logging
import Synchronization
import VersionerCore

/// Whether recovery has finished; until it has, only `/health` and `/ready` answer normally.
public final class Readiness: Sendable {
    private let ready = Atomic<Bool>(false)

    public init(ready: Bool = false) {
        self.ready.store(ready, ordering: .releasing)
    }

    public var isReady: Bool { ready.load(ordering: .acquiring) }

    public func markReady() {
        ready.store(true, ordering: .releasing)
    }
}

/// The front door: normalises the path, holds requests back until the server is ready, finds
/// the route, and turns every failure into a JSON answer.
///
/// Paths are matched by their non-empty segments, so `/products`, `/products/` and
/// `//products//` are the same path and no request is ever redirected (a redirect breaks POSTs).
public struct VersionerResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    /// Every route, in the order they are matched.
    public let routes: [Route]
    private let basePath: [Substring]
    private let readiness: Readiness
    private let maximumBodySize: Int
    private let logger: Logger

    init(routes: [Route], basePath: String, readiness: Readiness, maximumBodySize: Int, logger: Logger) {
        self.routes = routes
        self.basePath = basePath.split(separator: "/")
        self.readiness = readiness
        self.maximumBodySize = maximumBodySize
        self.logger = logger
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let response = await answer(request, context: context)
        logger.debug("request", metadata: [
            "http.method": "\(request.method.rawValue)",
            "http.path": "\(request.uri.path)",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\((ContinuousClock.now - start).milliseconds)",
        ])
        return response
    }

    private func answer(_ request: Request, context: Context) async -> Response {
        var segments = request.uri.path.split(separator: "/")
        guard segments.starts(with: basePath) else { return APIError.notFound.response }
        segments.removeFirst(basePath.count)

        let isProbe = segments == ["health"] || segments == ["ready"]
        if !isProbe, !readiness.isReady { return APIError.unavailable.response }

        var allowed: [HTTPRequest.Method] = []
        for route in routes {
            guard let parameters = route.match(segments) else { continue }
            guard route.method == request.method else {
                allowed.append(route.method)
                continue
            }
            let path = "/" + (basePath + segments).joined(separator: "/") + (request.uri.path.hasSuffix("/") ? "/" : "")
            let input = RequestInput(request: request, context: context, parameters: parameters,
                                     query: QueryParameters(request.uri.query), path: path,
                                     maximumBodySize: maximumBodySize)
            do {
                return try await route.handler(input)
            } catch {
                return error.response
            }
        }
        if !allowed.isEmpty {
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            return APIError(.methodNotAllowed, "Method Not Allowed", headers: [.allow: allow]).response
        }
        return APIError.notFound.response
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
