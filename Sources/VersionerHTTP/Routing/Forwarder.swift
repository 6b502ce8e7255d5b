import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Hands a request to the node that owns the journal and relays its answer, streamed (an event
/// stream too). A redirect would not do: clients do not resend a POST's body to another host.
///
/// When the owner cannot be reached the answer is 503 with `Retry-After: 1`: the owner may be
/// changing, and every client of this API retries a 503 or reports it. A refused connection is
/// answered at once (not retried: the owner is gone or going), and the whole exchange is
/// bounded by ``deadline`` (a stalled owner).
public struct Forwarder: Sendable {
    let client: HTTPClient
    /// This node's name, sent in `X-Versioner-Forwarded-By`.
    let node: String
    let maximumBodySize: Int
    let logger: Logger
    /// How long a request handed over may take, connecting included.
    static let deadline: TimeAmount = .seconds(5)

    /// The client every forwarder shares, made once for the process (an `HTTPClient` must be shut
    /// down before it is released; this one never is): it connects within a second and does not
    /// retry a connection that failed.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(1)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(client: HTTPClient = Forwarder.sharedClient, node: String, maximumBodySize: Int, logger: Logger) {
        self.client = client
        self.node = node
        self.maximumBodySize = maximumBodySize
        self.logger = logger
    }

    /// Headers that describe one connection, not the request, and are not passed on (RFC 9110 §7.6.1).
    private static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]

    func forward(_ request: Request, to owner: String) async -> Response {
        var outgoing = HTTPClientRequest(url: owner.trimmingSuffix("/") + (request.uri.string))
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        outgoing.headers.add(name: HTTPField.Name.forwardedBy.rawName, value: node)
        do {
            let body = try await request.body.collect(upTo: maximumBodySize)
            if body.readableBytes > 0 || request.method == .post || request.method == .patch {
                outgoing.body = .bytes(body)
            }
        } catch {
            return APIError.bodyTooLarge.response
        }
        let answer: HTTPClientResponse
        do {
            answer = try await client.execute(outgoing, timeout: Self.deadline, logger: logger)
        } catch {
            logger.warning("could not hand a request to the journal's owner", metadata: [
                "owner": "\(owner)", "error": "\(error)",
            ])
            return APIError.unavailable.response
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers where !Self.hopByHop.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: HTTPResponse.Status(code: Int(answer.status.code), reasonPhrase: answer.status.reasonPhrase),
                        headers: headers, body: ResponseBody(asyncSequence: answer.body))
    }
}

extension HTTPField.Name {
    /// Names the node that handed a request on to the journal's owner.
    static let forwardedBy = HTTPField.Name("X-Versioner-Forwarded-By")!
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
