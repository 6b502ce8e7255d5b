import HTTPTypes
import Hummingbird

/// The routes, found by Hummingbird's trie router.
///
/// A hand-written linear scan of the route table did this before, on the belief that Hummingbird
/// did not collapse repeated slashes; its trie does drop empty segments. Measured against each
/// other (`Benchmarks/load/compare.sh`, release, 64 connections, six alternated rounds, 2026-12-01)
/// the scan was not measurably faster: `/health` 26 038 against 25 795 req/s, `/api-keys/` (one
/// of the last routes) 21 659 against 20 796, a 404 26 494 against 25 444, each with a spread of
/// about ±20 % between rounds. So Hummingbird's router is used.
///
/// Hummingbird matches a path by its non-empty segments, so `/products`, `/products/` and
/// `//products//` reach the same route and no request is redirected (a redirect breaks POSTs).
/// What it does not do the way this API answers is added here: every route is registered under
/// the base path; a known path with another method is a 405 with `Allow` (Hummingbird answers
/// 404); an unknown path is the API's own JSON 404.
struct RouteTable: Sendable {
    /// Answers a request for `route`, with its path parameters.
    typealias Answer = @Sendable (_ route: Route, _ parameters: [String: String], Request, BasicRequestContext) async -> Response

    private let responder: RouterResponder<BasicRequestContext>
    /// Each route by method and pattern, to say which one answered.
    private let routesByKey: [String: Route]

    /// The methods a path can be asked with that are not served get a 405 naming those that are.
    private static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]

    init(routes: [Route], basePath: String, answer: @escaping Answer) {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: NotFoundBody())
        let prefix = basePath.split(separator: "/").map { "/" + $0 }.joined()
        var methodsByPattern: [String: [HTTPRequest.Method]] = [:]
        var patterns: [String] = []
        var routesByKey: [String: Route] = [:]
        for route in routes {
            let pattern = prefix + route.pattern
            if methodsByPattern[pattern] == nil { patterns.append(pattern) }
            methodsByPattern[pattern, default: []].append(route.method)
            let key = Self.key(route.method, route.path)
            routesByKey[key] = route
            router.on(RouterPath(pattern), method: route.method, responder: CallbackResponder { request, context in
                // The shared endpoint box carries the route back to `respond` (for its metrics).
                context.coreContext.endpointPath.value = key
                var parameters: [String: String] = [:]
                for case .parameter(let name) in route.segments {
                    parameters[name] = context.parameters.get(name)
                }
                return await answer(route, parameters, request, context)
            })
        }
        for pattern in patterns {
            let served = methodsByPattern[pattern] ?? []
            let refusal = APIError(.methodNotAllowed, "Method Not Allowed",
                                   headers: [.allow: served.map(\.rawValue).joined(separator: ", ")]).response
            for method in Self.methods where !served.contains(method) {
                router.on(RouterPath(pattern), method: method, responder: CallbackResponder { _, _ in refusal })
            }
        }
        responder = router.buildResponder()
        self.routesByKey = routesByKey
    }

    /// The answer, and the route that gave it (nil for a 404 or 405).
    func respond(to request: Request, context: BasicRequestContext) async -> (Response, Route?) {
        do {
            let response = try await responder.respond(to: request, context: context)
            let route = context.endpointPath.flatMap { routesByKey[$0] }
            if route == nil, response.status == .notFound, !Self.methods.contains(request.method) {
                // A method outside the standard ones (QUERY, FOO) has no 405 registered: ask
                // again with TRACE, which no route serves, to learn whether the path is known.
                var head = request.head
                head.method = .trace
                let known = try await responder.respond(to: Request(head: head, body: request.body), context: context)
                if known.status == .methodNotAllowed { return (known, nil) }
            }
            return (response, route)
        } catch {
            return (APIError.notFound.response, nil)
        }
    }

    private static func key(_ method: HTTPRequest.Method, _ path: String) -> String {
        method.rawValue + " " + path
    }
}

/// The API's JSON 404 (`{"detail": "Not Found"}`) instead of Hummingbird's own error body.
private struct NotFoundBody: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return APIError.notFound.response
        }
    }
}
