import HTTPTypes
import Hummingbird
import VersionerCore

/// Builds JSON answers.
enum Reply {
    /// A JSON answer to a write (or a probe): as it is, neither tagged nor compressed.
    static func json(_ status: HTTPResponse.Status = .ok, headers: HTTPFields = [:],
                     _ write: (inout JSONWriter) -> Void) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes(write))))
    }

    /// A GET answer: with an entity tag, 304 to a matching `If-None-Match`, compressed when the
    /// client accepts it (see ``EncodedBody``).
    static func json(for input: RequestInput, _ write: (inout JSONWriter) -> Void) -> Response {
        encodeBody(write).response(to: input.request)
    }

    /// The bytes `write` produces, ready to be answered to GET requests (and cached).
    static func encodeBody(_ write: (inout JSONWriter) -> Void) -> EncodedBody {
        EncodedBody(bytes(write))
    }

    private static func bytes(_ write: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        write(&writer)
        return writer.bytes
    }

    /// A bare JSON array, newest first; the next page, if any, in `Link: <…>; rel="next"`.
    static func list<Item>(_ page: Page<Item>, for input: RequestInput,
                           _ write: (inout JSONWriter, Item) -> Void) -> Response {
        list(encodePage(page, write), for: input)
    }

    /// A page encoded once, answered as ``list(_:for:_:)`` does (the `Link` is made per request:
    /// it repeats the request's own path and query).
    static func list(_ page: EncodedPage, for input: RequestInput) -> Response {
        var headers: HTTPFields = [:]
        if let next = page.nextCursor {
            let query = input.query.replacing("cursor", with: Cursor.encode(next))
            headers[.link] = "<\(input.path)?\(query)>; rel=\"next\""
        }
        return page.body.response(to: input.request, headers: headers)
    }

    static func encodePage<Item>(_ page: Page<Item>, _ write: (inout JSONWriter, Item) -> Void) -> EncodedPage {
        let body = encodeBody { writer in
            writer.beginArray()
            for item in page.items { write(&writer, item) }
            writer.endArray()
        }
        return EncodedPage(body: body, nextCursor: page.nextCursor)
    }

    static let noContent = Response(status: .noContent)
}

extension Result where Failure == ValidationFailure {
    /// The value, or the 422 answer listing every invalid field.
    func orReject() throws(APIError) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let failure): throw APIError(failure)
        }
    }
}

/// Runs a tracker call, turning its refusal into the matching answer.
func tracked<T>(_ body: () async throws(TrackerError) -> T) async throws(APIError) -> T {
    do {
        return try await body()
    } catch {
        throw APIError(error)
    }
}

/// A list page as JSON, and where the next page starts.
struct EncodedPage: Sendable {
    var body: EncodedBody
    var nextCursor: EntityID?
}

/// A list query with its page: what a cached list answer is keyed by.
struct PageKey<Query: Hashable & Sendable>: Hashable, Sendable {
    var query: Query
    var page: PageRequest
}
