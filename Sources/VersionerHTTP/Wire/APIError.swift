import Hummingbird
import VersionerCore

/// An answer other than success, with the `detail` body of the spec (§1).
struct APIError: Error {
    var status: HTTPResponse.Status
    var body: [UInt8]
    var headers: HTTPFields = [:]

    /// `{"detail": "<message>"}`.
    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("detail")
        writer.string(message)
        writer.endObject()
        self.init(status: status, body: writer.bytes)
        self.headers = headers
    }

    /// 422 listing every invalid field: `{"detail": [{"loc", "msg", "type", "ctx"?}, …]}`.
    init(_ failure: ValidationFailure) {
        self.init(failure.errors.map { (line: nil, error: $0) })
    }

    /// A 422 listing every invalid field, each with the line of an import it is on.
    init(_ errors: [(line: Int?, error: FieldError)]) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("detail")
        writer.beginArray()
        for (line, error) in errors {
            writer.beginObject()
            if let line {
                writer.key("line")
                writer.int(line)
            }
            writer.key("loc")
            writer.beginArray()
            for part in error.location { writer.string(part) }
            writer.endArray()
            writer.key("msg")
            writer.string(error.message)
            writer.key("type")
            writer.string(error.type)
            if let limit = error.limitValue {
                writer.key("ctx")
                writer.beginObject()
                writer.key("limit_value")
                writer.int(limit)
                writer.endObject()
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        self.init(status: .unprocessableContent, body: writer.bytes)
    }

    private init(status: HTTPResponse.Status, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    init(_ error: TrackerError) {
        switch error {
        case .notFound(let message):
            self.init(.notFound, message)
        case .conflict(let message):
            self.init(.conflict, message)
        case .shaConflict(let version):
            // The GitHub Action prints `message`, the CLI prints `detail`: send both.
            let message = "Version \(version) already exists with different SHA"
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("detail")
            writer.string(message)
            writer.key("message")
            writer.string(message)
            writer.endObject()
            self.init(status: .conflict, body: writer.bytes)
        case .invalid(let failure):
            self.init(failure)
        case .blocked(let verdict, _):
            self.init(blocked: verdict)
        case .journal:
            // The details go to the log, not to the client.
            self.init(.serviceUnavailable, "Service temporarily unavailable", headers: [.retryAfter: "1"])
        }
    }

    /// A deployment rule's refusal, nested under `detail` as the real clients read it:
    /// `{"detail": {"error": "deployment_blocked", "message", "code", "retry_after"?, "details": {…}}}`.
    init(blocked verdict: RuleVerdict) {
        let failure = verdict.failure!
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("detail")
        writer.beginObject()
        writer.field("error", "deployment_blocked")
        writer.field("message", failure.message)
        writer.field("code", failure.code.rawValue)
        if let retryAfter = failure.retryAfter { writer.field("retry_after", retryAfter) }
        writer.key("details")
        writer.details(failure.details)
        writer.endObject()
        writer.endObject()
        self.init(status: Self.status(of: failure.code), body: writer.bytes)
    }

    /// The status a refusal answers with (docs/API.md §7).
    static func status(of code: BlockCode) -> HTTPResponse.Status {
        switch code {
        case .concurrentDeployment: .conflict
        case .noDeployWindow: HTTPResponse.Status(code: 423, reasonPhrase: "Locked")
        case .flowViolation, .insufficientSoakTime, .approvalRequired: .preconditionRequired
        }
    }

    static let invalidJSON = APIError(.badRequest, "Invalid JSON in request body")
    static let bodyTooLarge = APIError(.contentTooLarge, "Request body too large")
    static let notFound = APIError(.notFound, "Not Found")
    static let unavailable = APIError(.serviceUnavailable, "Service temporarily unavailable", headers: [.retryAfter: "1"])
    static let internalError = APIError(.internalServerError, "Internal server error")

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
