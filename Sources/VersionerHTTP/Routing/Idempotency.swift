import Crypto
import HTTPTypes
import Hummingbird
import Synchronization
import VersionerCore

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}

/// Who sent a POST and what it sent, for recognising its retries (docs/API.md §8).
struct RequestIdentity: Sendable {
    /// The API key's id, or `admin` for the configured admin key.
    var client: String
    /// SHA-256 of the route's pattern and the body's bytes.
    var digest: [UInt8]
    /// The `Idempotency-Key` the client sent, as a ledger key.
    var explicitKey: RequestKey?

    /// The tag an event journals so that its retry is recognised: its explicit key, else the
    /// implicit key of its body when `claimedImplicitly`.
    func tag(implicit claimedImplicitly: Bool) -> RequestTag? {
        if let explicitKey { return RequestTag(key: explicitKey, digest: digest) }
        return claimedImplicitly ? RequestTag(key: implicitKey, digest: digest) : nil
    }

    var implicitKey: RequestKey { .implicit(client: client, digest: digest) }
}

/// `Idempotency-Key` on every POST (IETF draft-ietf-httpapi-idempotency-key-header): the first
/// successful answer is kept 24 h and answered again, byte for byte, to the same key with the
/// same body. Only 2xx answers are kept: a request that failed may be sent again with its key.
enum Idempotency {
    static let differentBody = APIError(.unprocessableContent, "Idempotency-Key reused with a different request body")
    static let inProgress = APIError(.conflict, "A request with this Idempotency-Key is in progress")
    static let retryInProgress = APIError(.conflict, "An identical request is in progress")
    static let invalidKey = APIError(.badRequest, "Invalid Idempotency-Key: send 1 to 255 visible ASCII characters")

    /// Answers a POST from `client`: reads its body once (the handler reads it again from memory),
    /// and, when it names a key, replays, refuses or runs it and keeps its answer.
    static func answer(_ input: RequestInput, client: String, pattern: String,
                       _ handle: @Sendable (RequestInput) async throws(APIError) -> Response) async -> Response {
        var input = input
        let body: ByteBuffer
        do {
            body = try await input.bufferedBody()
        } catch {
            return error.response
        }
        var hash = SHA256()
        hash.update(data: Array(pattern.utf8) + [0x0A])
        hash.update(data: body.readableBytesView)
        let digest = Array(hash.finalize())
        var explicitKey: RequestKey?
        if let header = input.request.headers[.idempotencyKey] {
            guard let key = parseKey(header) else { return invalidKey.response }
            explicitKey = .explicit(client: client, key: key)
        }
        input.identity = RequestIdentity(client: client, digest: digest, explicitKey: explicitKey)
        guard let explicitKey else { return await run(handle, input) }

        let ledger = input.tracker.requests
        switch ledger.claim(explicitKey, digest: digest, at: input.tracker.now()) {
        case .inFlight: return inProgress.response
        case .differentBody: return differentBody.response
        case .replay(let entry): return await replay(entry, input)
        case .proceed: break
        }
        defer { ledger.release(explicitKey) }
        let response = await run(handle, input)
        guard (200..<300).contains(response.status.code) else { return response }
        let collector = BodyCollector()
        do {
            try await response.body.write(collector)
            let bytes = collector.bytes
            try await input.tracker.keep(StoredAnswer(status: response.status.code, body: bytes), for: explicitKey, digest: digest)
            return Response(status: response.status, headers: response.headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch let error as TrackerError {
            return APIError(error).response
        } catch {
            return APIError.internalError.response
        }
    }

    /// The answer again: its bytes when kept, else (the implicit window, or an answer that was
    /// never sent because the process stopped) what the request made, as it is now.
    static func replay(_ entry: RequestEntry, _ input: RequestInput) async -> Response {
        var response: Response
        if let answer = entry.answer {
            response = Response(status: HTTPResponse.Status(code: answer.status), headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        } else {
            do {
                switch entry.subject {
                case .deployment(let id)?:
                    let view = try await tracked { () throws(TrackerError) in try await input.tracker.deployment(id: id) }
                    response = Reply.json { $0.deployment(view, preflight: nil) }
                case .build(let id)?:
                    let view = try await tracked { () throws(TrackerError) in try await input.tracker.build(id: id) }
                    response = Reply.json { $0.build(view) }
                case nil:
                    return APIError.internalError.response
                }
            } catch {
                // What it made was deleted since: nothing to answer with, and nothing to record again.
                return error.response
            }
        }
        response.headers[.idempotentReplayed] = "true"
        return response
    }

    /// Records an event with the tag its retry is recognised by. Without an `Idempotency-Key`,
    /// an event with a non-empty `invoke_id` whose body equals one accepted from the same client
    /// in the last 10 s is that event's retry (the CLI retries with the same bytes): it gets its
    /// answer again and records nothing.
    static func recordingEvent(_ input: RequestInput, invokeID: String?,
                               _ record: (RequestTag?) async throws(APIError) -> Response) async throws(APIError) -> Response {
        guard let identity = input.identity else { return try await record(nil) }
        if identity.explicitKey != nil { return try await record(identity.tag(implicit: false)) }
        guard let invokeID, !invokeID.allSatisfy(\.isWhitespace) else { return try await record(nil) }
        let key = identity.implicitKey
        let ledger = input.tracker.requests
        switch ledger.claim(key, digest: identity.digest, at: input.tracker.now()) {
        case .inFlight: throw retryInProgress
        case .replay(let entry): return await replay(entry, input)
        case .differentBody, .proceed: break
        }
        defer { ledger.release(key) }
        return try await record(identity.tag(implicit: true))
    }

    private static func run(_ handle: @Sendable (RequestInput) async throws(APIError) -> Response, _ input: RequestInput) async -> Response {
        do {
            return try await handle(input)
        } catch {
            return error.response
        }
    }

    /// The key as sent, or as the draft's structured-field string (`"…"`); nil when empty, too
    /// long or not visible ASCII.
    static func parseKey(_ header: String) -> String? {
        var key = Substring(header).trimmingCharacters(in: " \t")
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { key = String(key.dropFirst().dropLast()) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return key
    }
}

/// Collects a response's body into memory (answers to writes are small JSON documents).
private struct BodyCollector: ResponseBodyWriter {
    /// Shared with the copy that `ResponseBody.write` consumes.
    final class Storage: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }
    let storage = Storage()
    var bytes: [UInt8] { storage.bytes.withLock { $0 } }

    mutating func write(_ buffer: ByteBuffer) async throws {
        storage.bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
