import Hummingbird
import VersionerCore

/// The OpenAPI document and the docs page as served, fitted to the base path once at start.
struct APIDocumentation: Sendable {
    /// `GET /openapi.json`: the document with `servers` naming the base path.
    let openAPI: [UInt8]
    /// `GET /docs`: the page, told where the API is mounted.
    let page: [UInt8]

    init(basePath: String) {
        let base = "/" + basePath.split(separator: "/").joined(separator: "/")
        guard case .object(var members)? = try? JSONParser.parse(Array(openAPIDocumentText.utf8)) else {
            preconditionFailure("the embedded OpenAPI document is not a JSON object")
        }
        let servers = JSONValue.array([.object([JSONMember("url", .string(base))])])
        if let index = members.firstIndex(where: { $0.key == "servers" }) {
            members[index] = JSONMember("servers", servers)
        } else {
            members.insert(JSONMember("servers", servers), at: 1)
        }
        var writer = JSONWriter(capacity: openAPIDocumentText.utf8.count)
        writer.value(.object(members))
        openAPI = writer.bytes

        var literal = JSONWriter()
        literal.string(base)
        // Inside a <script>, "</" must not appear: write '<' as a JSON escape.
        let script = String(decoding: literal.bytes, as: UTF8.self).replacingAll("<", with: "\\u003c")
        page = Array(docsPageTemplate.replacingAll("__BASE_PATH__", with: script).utf8)
    }

    /// The two public routes that serve them, answered also while the server recovers.
    var routes: [Route] {
        let openAPI = self.openAPI
        let page = self.page
        return [
            Route(probe: .get, "/openapi.json") { _ in
                Response(status: .ok, headers: [.contentType: "application/json"],
                         body: ResponseBody(byteBuffer: ByteBuffer(bytes: openAPI)))
            },
            Route(probe: .get, "/docs") { _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(bytes: page)))
            },
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
