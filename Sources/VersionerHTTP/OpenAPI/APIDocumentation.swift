import Hummingbird
import VersionerCore

/// The OpenAPI document and the docs page as served, fitted to the base path once at start.
///
/// Both are files beside this one, compiled into the binary: `openapi.json`, the OpenAPI 3.1
/// document of the whole API (`OpenAPITests` walks the responder's routes and fails when it and
/// the routes disagree; the live checks validate it and fuzz the server against it), and
/// `docs.html`, the self-contained interactive page (no CDN, no external script: servers often
/// run on closed networks), in which `__BASE_PATH__` stands for the base path as a JSON string.
/// Everything the page shows from the document or an answer goes through `textContent`.
struct APIDocumentation: Sendable {
    /// The document as written in `openapi.json`.
    static let documentBytes = PackageResources.openapi_json
    static let pageTemplate = String(decoding: PackageResources.docs_html, as: UTF8.self)

    /// `GET /openapi.json`: the document with `servers` naming the base path.
    let openAPI: [UInt8]
    /// `GET /docs`: the page, told where the API is mounted.
    let page: [UInt8]

    init(basePath: String) {
        let base = "/" + basePath.split(separator: "/").joined(separator: "/")
        guard case .object(var members)? = try? JSONParser.parse(Self.documentBytes) else {
            preconditionFailure("the embedded OpenAPI document is not a JSON object")
        }
        let servers = JSONValue.array([.object([JSONMember("url", .string(base))])])
        if let index = members.firstIndex(where: { $0.key == "servers" }) {
            members[index] = JSONMember("servers", servers)
        } else {
            members.insert(JSONMember("servers", servers), at: 1)
        }
        var writer = JSONWriter(capacity: Self.documentBytes.count)
        writer.value(.object(members))
        openAPI = writer.bytes

        var literal = JSONWriter()
        literal.string(base)
        // Inside a <script>, "</" must not appear: write '<' as a JSON escape.
        let script = String(decoding: literal.bytes, as: UTF8.self).replacingAll("<", with: "\\u003c")
        page = Array(Self.pageTemplate.replacingAll("__BASE_PATH__", with: script).utf8)
    }

    /// The two public routes that serve them, answered also while the server recovers.
    var routes: [Route] {
        [
            Route(static: .get, "/openapi.json", EncodedBody(openAPI)),
            Route(static: .get, "/docs", EncodedBody(page, contentType: "text/html; charset=utf-8")),
        ]
    }
}

extension String {
    /// The string with every occurrence of `target` replaced (without Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
