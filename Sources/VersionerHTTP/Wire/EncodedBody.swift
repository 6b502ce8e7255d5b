import Crypto
import HTTPTypes
import Hummingbird
import Synchronization
import VersionerStore

/// A GET answer's bytes as they go out, with what HTTP caching and compression need: a strong
/// entity tag (a digest of the bytes, so it is right whatever produced them) and the compressed
/// forms, each made the first time a client asks for it and then kept. A cached answer is thus
/// digested and compressed once, however often it is sent.
final class EncodedBody: Sendable {
    let identity: ByteBuffer
    /// The media type of the bytes.
    let contentType: String
    /// The entity tag's opaque part: the first 16 bytes of the SHA-256 of the bytes, in hex.
    let digest: String
    private let compressed = Mutex<[ContentCoding: ByteBuffer]>([:])

    /// Answers smaller than this go out as they are: compressing them saves less than it costs.
    static let compressionThreshold = 1024

    init(_ bytes: [UInt8], contentType: String = "application/json") {
        identity = ByteBuffer(bytes: bytes)
        self.contentType = contentType
        digest = SHA256.hash(data: bytes).prefix(16).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The bytes compressed in `coding`, made on the first call for it; nil if zlib failed.
    func compressed(in coding: ContentCoding) -> ByteBuffer? {
        if let made = compressed.withLock({ $0[coding] }) { return made }
        // Compressed outside the lock: two first requests may both compress, and one result is kept.
        guard let deflated = try? Zlib.compress(Array(identity.readableBytesView), level: 6, format: coding.format) else {
            return nil
        }
        let made = ByteBuffer(bytes: deflated)
        return compressed.withLock { kept in
            if let first = kept[coding] { return first }
            kept[coding] = made
            return made
        }
    }

    /// The entity tag of the representation in `coding`: one per coding, since their bytes differ.
    func tag(in coding: ContentCoding?) -> String {
        guard let coding else { return "\"\(digest)\"" }
        return "\"\(digest)-\(coding.rawValue)\""
    }

    /// Whether `If-None-Match` names this answer in any coding (the weak comparison RFC 9110
    /// asks for: `W/` and the coding suffix are ignored), or is `*`.
    func isNamed(by ifNoneMatch: String) -> Bool {
        for candidate in ifNoneMatch.split(separator: ",") {
            var tag = candidate.trimmed
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            guard tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") else { continue }
            let opaque = tag.dropFirst().dropLast()
            if opaque == digest || ContentCoding.allCases.contains(where: { opaque == "\(digest)-\($0.rawValue)" }) {
                return true
            }
        }
        return false
    }

    /// The answer to `request`: 304 with no body when its `If-None-Match` names these bytes,
    /// else 200 with them, compressed when they are large enough and the client accepts gzip or
    /// deflate.
    func response(to request: Request, headers: HTTPFields = [:]) -> Response {
        var coding = identity.readableBytes >= Self.compressionThreshold
            ? ContentCoding.preferred(by: request.headers[.acceptEncoding]) : nil
        var headers = headers
        // Live data: a client may keep the answer, but must ask whether it still holds.
        headers[.cacheControl] = "no-cache"
        headers[.vary] = "Accept-Encoding"
        if let ifNoneMatch = request.headers[.ifNoneMatch], isNamed(by: ifNoneMatch) {
            headers[.eTag] = tag(in: coding)
            return Response(status: .notModified, headers: headers)
        }
        var body = identity
        if let chosen = coding {
            if let made = compressed(in: chosen) { body = made } else { coding = nil }
        }
        headers[.eTag] = tag(in: coding)
        headers[.contentType] = contentType
        if let coding { headers[.contentEncoding] = coding.rawValue }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

/// The content codings the server compresses answers with.
enum ContentCoding: String, CaseIterable, Sendable {
    case gzip, deflate

    var format: Zlib.Format {
        switch self {
        case .gzip: .gzip
        case .deflate: .zlib
        }
    }

    /// The coding to answer a request's `Accept-Encoding` with: gzip, else deflate, when the
    /// client accepts it (a `q` above 0, or `*`); nil for the bytes as they are.
    static func preferred(by acceptEncoding: String?) -> ContentCoding? {
        guard let acceptEncoding else { return nil }
        var accepted: [String: Bool] = [:]
        for item in acceptEncoding.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmed.lowercased() }
            guard let name = parts.first, !name.isEmpty else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            accepted[name] = quality > 0
        }
        return allCases.first { accepted[$0.rawValue] ?? accepted["*"] ?? false }
    }
}

extension Substring {
    /// Without the spaces and tabs around it.
    var trimmed: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
