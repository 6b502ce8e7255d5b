import HTTPTypes
import Hummingbird
import Testing
import VersionerCore
import VersionerStore

@Suite("HTTP caching and compression")
struct CachingTests {
    static func headers(_ fields: [(HTTPField.Name, String)]) -> HTTPFields {
        var headers = HTTPFields()
        for (name, value) in fields { headers[name] = value }
        return headers
    }

    /// A few products deployed to a few environments: a state matrix of several KiB.
    static func seed(_ api: API) async throws {
        for product in 0..<12 {
            for environment in ["dev", "staging", "production"] {
                try await api.deploy("service-\(product)", "1.0.\(product)", to: environment)
            }
        }
    }

    @Test("GET answers carry an ETag; If-None-Match with it is a 304 without a body until something changes",
          arguments: ["/state/", "/deployments/?limit=5", "/products/", "/events/"])
    func revalidation(path: String) async throws {
        try await withAPI { api in
            try await Self.seed(api)
            let first = try await api.get(path)
            #expect(first.status == .ok)
            let tag = try #require(first.headers[.eTag])
            #expect(tag.hasPrefix("\"") && tag.hasSuffix("\"") && tag.count > 20)
            #expect(first.headers[.cacheControl] == "no-cache")

            let again = try await api.call(.get, path, headers: Self.headers([(.ifNoneMatch, tag)]))
            #expect(again.status == .notModified)
            #expect(again.text.isEmpty)
            #expect(again.headers[.eTag] == tag)
            // A list of tags, weak or not, matches when one of them is this answer's.
            let listed = try await api.call(.get, path, headers: Self.headers([(.ifNoneMatch, "\"other\", W/\(tag)")]))
            #expect(listed.status == .notModified)
            let other = try await api.call(.get, path, headers: Self.headers([(.ifNoneMatch, "\"0123456789abcdef\"")]))
            #expect(other.status == .ok)

            try await api.deploy("service-new", "9.9.9", to: "production")
            let changed = try await api.call(.get, path, headers: Self.headers([(.ifNoneMatch, tag)]))
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != tag)
            #expect(changed.text.contains("service-new") || changed.text.contains("9.9.9"))
        }
    }

    @Test("A large answer is compressed for a client that accepts gzip or deflate, and inflates to the same bytes",
          arguments: [("gzip, deflate", "gzip"), ("gzip;q=0, deflate", "deflate"), ("*", "gzip")])
    func compression(acceptEncoding: String, expected: String) async throws {
        try await withAPI { api in
            try await Self.seed(api)
            let plain = try await api.get("/state/")
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            let size = plain.text.utf8.count
            #expect(size > 1024)

            let response = try await api.client.execute(
                uri: "/state/", method: .get,
                headers: Self.headers([(.authorization, "Bearer \(testAdminKey)"), (.acceptEncoding, acceptEncoding)]),
                body: nil)
            #expect(response.status == .ok)
            #expect(response.headers[.contentEncoding] == expected)
            #expect(response.headers[.contentType] == "application/json")
            let compressed = Array(response.body.readableBytesView)
            #expect(compressed.count < size / 3)
            let format: Zlib.Format = expected == "gzip" ? .gzip : .zlib
            let inflated = try Zlib.decompress(compressed[...], expectedSize: size, format: format)
            #expect(String(decoding: inflated, as: UTF8.self) == plain.text)
            // Each coding has its own tag, and a tag of any coding revalidates.
            let tag = try #require(response.headers[.eTag])
            #expect(tag != plain.headers[.eTag])
            let again = try await api.call(.get, "/state/", headers: Self.headers([(.ifNoneMatch, tag)]))
            #expect(again.status == .notModified)
        }
    }

    @Test("The OpenAPI document and the docs page are public, revalidate with their ETag and compress",
          arguments: [("/openapi.json", "application/json"), ("/docs", "text/html; charset=utf-8")])
    func staticAnswers(path: String, contentType: String) async throws {
        try await withAPI { api in
            let plain = try await api.with(key: nil).get(path)
            #expect(plain.status == .ok)
            #expect(plain.headers[.contentType] == contentType)
            let tag = try #require(plain.headers[.eTag])
            #expect(try await api.with(key: nil).call(.get, path, headers: Self.headers([(.ifNoneMatch, tag)])).status
                    == .notModified)
            let compressed = try await api.client.execute(uri: path, method: .get,
                                                          headers: Self.headers([(.acceptEncoding, "gzip")]), body: nil)
            #expect(compressed.headers[.contentEncoding] == "gzip")
            let inflated = try Zlib.decompress(Array(compressed.body.readableBytesView)[...],
                                               expectedSize: plain.text.utf8.count, format: .gzip)
            #expect(String(decoding: inflated, as: UTF8.self) == plain.text)
        }
    }

    @Test("Small answers, and clients that accept no compression, get the bytes as they are",
          arguments: ["identity", "gzip;q=0, deflate;q=0", "br"])
    func noCompression(acceptEncoding: String) async throws {
        try await withAPI { api in
            try await Self.seed(api)
            let large = try await api.call(.get, "/state/", headers: Self.headers([(.acceptEncoding, acceptEncoding)]))
            #expect(large.headers[.contentEncoding] == nil)
            #expect(large.json["products"]?.arrayValue?.count == 12)
            let small = try await api.call(.get, "/products/?limit=1", headers: Self.headers([(.acceptEncoding, "gzip")]))
            #expect(small.headers[.contentEncoding] == nil)
            #expect(small.json.arrayValue?.count == 1)
        }
    }
}

@Suite("Cross-origin requests")
struct CORSTests {
    static let dashboard = "https://dash.example.com"

    @Test("With corsOrigin, a browser's preflight is answered and answers name the origin and expose ETag and Link")
    func allowedOrigin() async throws {
        try await withAPI(corsOrigin: Self.dashboard) { api in
            let preflight = try await api.with(key: nil).call(.options, "/deployments/", headers: CachingTests.headers([
                (.origin, Self.dashboard), (.accessControlRequestMethod, "GET"),
                (.accessControlRequestHeaders, "authorization, if-none-match"),
            ]))
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == Self.dashboard)
            let allowed = preflight.headers[.accessControlAllowHeaders]?.lowercased() ?? ""
            #expect(allowed.contains("authorization") && allowed.contains("if-none-match"))
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("PATCH") == true)

            try await api.deploy()
            let answer = try await api.call(.get, "/deployments/", headers: CachingTests.headers([(.origin, Self.dashboard)]))
            #expect(answer.status == .ok)
            #expect(answer.headers[.accessControlAllowOrigin] == Self.dashboard)
            #expect(answer.headers[.accessControlExposeHeaders]?.contains("ETag") == true)
            // The request is still counted and logged as usual: the middleware runs inside the responder.
            let metrics = try await api.get("/metrics").text
            #expect(metrics.contains(#"versioner_http_requests_total{method="GET",route="/deployments/",status="200"}"#))
        }
    }

    @Test("Without corsOrigin, no CORS header is sent and OPTIONS stays a 405")
    func noOrigin() async throws {
        try await withAPI { api in
            let preflight = try await api.with(key: nil).call(.options, "/deployments/", headers: CachingTests.headers([
                (.origin, Self.dashboard), (.accessControlRequestMethod, "GET"),
            ]))
            #expect(preflight.status == .methodNotAllowed)
            #expect(preflight.headers[.accessControlAllowOrigin] == nil)
            let answer = try await api.call(.get, "/deployments/", headers: CachingTests.headers([(.origin, Self.dashboard)]))
            #expect(answer.headers[.accessControlAllowOrigin] == nil)
        }
    }
}
