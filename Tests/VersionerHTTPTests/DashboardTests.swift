import HTTPTypes
import Testing
import VersionerCore
@testable import VersionerHTTP

extension HTTPField.Name {
    static let csp = HTTPField.Name("Content-Security-Policy")!
}

/// A browser's view of the dashboard: a session cookie, sent with every request, and no key.
struct Browser {
    let api: API
    var cookie: String?

    init(_ api: API) {
        self.api = api.with(key: nil)
    }

    /// Signs in with `key`; returns the sign-in answer.
    @discardableResult
    mutating func signIn(_ key: String = testAdminKey, next: String = "/") async throws -> Answer {
        let body = "key=" + Formats.component(key) + "&next=" + Formats.component(next)
        let answer = try await api.call(.post, "/ui/login", body: body,
                                        headers: [.contentType: "application/x-www-form-urlencoded"])
        if let setCookie = answer.headers[.setCookie], let pair = setCookie.split(separator: ";").first {
            cookie = String(pair)
        }
        return answer
    }

    func get(_ path: String) async throws -> Answer {
        try await api.call(.get, path, headers: cookie.map { [.cookie: $0] } ?? [:])
    }

    func post(_ path: String, _ body: String = "") async throws -> Answer {
        try await api.call(.post, path, body: body, headers: cookie.map { [.cookie: $0] } ?? [:])
    }
}

@Suite("Dashboard")
struct DashboardTests {
    @Test("A page without a session sends to sign-in; signing in sets the session cookie and returns to the page")
    func signIn() async throws {
        try await withAPI { api in
            var browser = Browser(api)
            let page = try await browser.get("/ui/products?cursor=x")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/ui/login?next=%2Fui%2Fproducts%3Fcursor%3Dx")
            let form = try await browser.get("/ui/login?next=%2Fui%2Fproducts")
            #expect(form.status == .ok && form.text.contains("name=\"next\" value=\"/ui/products\""))
            #expect(form.headers[.csp] == "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")

            let wrong = try await browser.signIn("sk_local_nosuchkey_" + String(repeating: "x", count: 40))
            #expect(wrong.status == .unauthorized && wrong.text.contains("That key is not valid"))
            #expect(wrong.headers[.setCookie] == nil && browser.cookie == nil)

            let signedIn = try await browser.signIn(next: "/ui/products")
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/ui/products")
            let cookie = try #require(signedIn.headers[.setCookie])
            #expect(cookie.hasPrefix("versioner_session=") && cookie.contains("; HttpOnly; SameSite=Strict; Path=/"))
            #expect(!cookie.contains("Secure"))
            let products = try await browser.get("/ui/products")
            #expect(products.status == .ok && products.headers[.contentType] == "text/html; charset=utf-8")
            #expect(products.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(products.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")

            // Signing out ends the session.
            let out = try await browser.post("/ui/logout")
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await browser.get("/ui/products").status == .seeOther)
        }
    }

    @Test("Sign-in only ever returns to a path on this server", arguments: [
        ("/ui/insights?weeks=4", "/ui/insights?weeks=4"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
        ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("", "/"),
    ])
    func noOpenRedirect(next: String, expected: String) async throws {
        try await withAPI { api in
            var browser = Browser(api)
            let answer = try await browser.signIn(next: next)
            #expect(answer.headers[.location] == expected)
        }
    }

    @Test("A session reads the API with GET only, and ends when its key is revoked")
    func sessionScope() async throws {
        try await withAPI { api in
            let issued = try await api.post("/api-keys/", #"{"name": "wall display", "scopes": ["read"]}"#)
            let key = try #require(issued.json["key"]?.stringValue)
            let id = try #require(issued.json["id"]?.stringValue)
            var browser = Browser(api)
            #expect(try await browser.signIn(key).status == .seeOther)
            #expect(try await browser.get("/").status == .ok)
            #expect(try await browser.get("/state/").status == .ok)
            let write = try await browser.api.call(.post, "/deployment-events/", body: #"{"product_name":"a","version":"1","environment_name":"production"}"#,
                                                   headers: [.cookie: browser.cookie!])
            #expect(write.status == .unauthorized)
            // A key that may not read cannot sign in.
            let writer = try await api.post("/api-keys/", #"{"name": "pipeline", "scopes": ["events:write"]}"#)
            var other = Browser(api)
            #expect(try await other.signIn(writer.json["key"]!.stringValue!).status == .unauthorized)

            #expect(try await api.delete("/api-keys/\(id)").status.code < 300)
            let after = try await browser.get("/")
            #expect(after.status == .seeOther && after.headers[.location]?.hasPrefix("/ui/login") == true)
            #expect(try await browser.get("/state/").status == .unauthorized)
        }
    }

    @Test("The matrix shows each cell's version, status and attempt, drift and rollbacks, escaping every name")
    func matrix() async throws {
        try await withAPI { api in
            try await api.deploy("api", "1.0", to: "staging", status: "completed")
            try await api.deploy("api", "1.0", to: "production", status: "completed")
            try await api.deploy("api", "1.1", to: "staging", status: "completed")
            try await api.deploy("api", "1.2", to: "production", status: "failed")
            try await api.deploy("api", "1.0", to: "staging", status: "completed", extra: ["deployed_by": "ana"])  // back to 1.0: a rollback
            try await api.deploy("<img src=x onerror=alert(1)>", "<b>2</b>", to: "production", status: "started")
            var browser = Browser(api)
            try await browser.signIn()
            let page = try await browser.get("/")
            #expect(page.status == .ok)
            let html = page.text
            #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains("<img src=x"))
            #expect(html.contains("&lt;b&gt;2&lt;/b&gt;") && !html.contains("<b>2</b>"))
            // Columns from dev to production; the api row has no drift (1.0 in both), shows the rollback and
            // production's failed attempt of 1.2 under the running 1.0.
            let staging = try #require(html.range(of: "<th scope=\"col\" data-environment=\"staging\">"))
            let production = try #require(html.range(of: "<th scope=\"col\" data-environment=\"production\">"))
            #expect(staging.lowerBound < production.lowerBound)
            let row = try #require(html.range(of: "<tr data-product=\"api\">"))
            let rowEnd = try #require(html[row.lowerBound...].range(of: "</tr>"))
            let rowText = String(html[row.lowerBound..<rowEnd.upperBound])
            #expect(rowText.contains("↩ rollback"))
            #expect(rowText.contains("class=\"attempt a-failed\"") && rowText.contains(">1.2</a>"))
            // The cells follow the columns, staging then production.
            let cells = rowText.components(separatedBy: "<td ").dropFirst()
            #expect(cells.count == 2)
            #expect(cells.first?.hasPrefix("class=\"c-completed\">") == true && rowText.contains(">ana · <time"))
            // The started deployment of the other product is its latest attempt, with no running version.
            #expect(html.contains("class=\"attempt a-started\""))
            try await api.deploy("api", "1.1", to: "production", status: "completed")
            let drifting = try await browser.get("/?product=ap")
            #expect(drifting.text.contains("<tr class=\"drift\" data-product=\"api\">") && drifting.text.contains("≠ drift"))
            #expect(!drifting.text.contains("&lt;img"))  // filtered out by name
            // The row the live page swaps in, for the page's columns.
            let fragment = try await browser.get("/ui/fragments/row?only=api&column=staging&column=production&column=qa")
            #expect(fragment.status == .ok && fragment.text.hasPrefix("<tr class=\"drift\" data-product=\"api\">"))
            #expect(fragment.text.components(separatedBy: "<td ").count - 1 == 3)
            #expect(fragment.text.contains("<td class=\"c-none\">—</td>\n</tr>"))  // the last column, qa: api never ran there
        }
    }

    @Test("An empty server and a product with 30 environments both render")
    func emptyAndWide() async throws {
        try await withAPI { api in
            var browser = Browser(api)
            try await browser.signIn()
            #expect(try await browser.get("/").text.contains("No deployments to show"))
            for index in 0..<30 {
                try await api.deploy("wide", "1.\(index)", to: "env-\(index)", status: "completed")
            }
            let html = try await browser.get("/").text
            #expect(html.components(separatedBy: "<th scope=\"col\" data-environment=").count - 1 == 30)
            let row = try #require(html.range(of: " data-product=\"wide\">"))
            #expect(html[row.lowerBound...].components(separatedBy: "<td class=\"c-completed\">").count - 1 == 30)
            let product = try await browser.get("/ui/products/wide")
            #expect(product.status == .ok && product.text.contains("env-29"))
            #expect(try await browser.get("/ui/products/nothing").status == .notFound)
        }
    }

    @Test("The deployment page, also at /manage/deployments?view=, links only http(s) URLs and known commit hosts")
    func deploymentPage() async throws {
        try await withAPI { api in
            let posted = try await api.deploy("api", "1.0", to: "production", status: "completed", extra: [
                "deploy_url": "javascript:alert(1)", "scm_sha": "0123456789abcdef0123456789abcdef01234567",
                "scm_repository": "acme/api", "deployed_by": "ana", "build_number": "https://ci.example/b/7",
            ])
            let id = try #require(posted.json["id"]?.stringValue)
            var browser = Browser(api)
            try await browser.signIn(next: "/manage/deployments?view=\(id)")
            let page = try await browser.get("/manage/deployments?view=\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("https://github.com/acme/api/commit/0123456789abcdef0123456789abcdef01234567"))
            #expect(!page.text.contains("href=\"javascript:"))
            #expect(page.text.contains("<a href=\"https://ci.example/b/7\" rel=\"noreferrer\">"))
            #expect(page.text.contains("deployment to production"))  // its timeline
            #expect(try await browser.get("/ui/deployments/\(id)").text == page.text)
            #expect(try await browser.get("/manage/deployments?view=nope").status == .notFound)
        }
    }

    @Test("Search finds versions by name and by an abbreviated SHA, and where they run")
    func search() async throws {
        try await withAPI { api in
            try await api.build("api", "2.0", extra: ["scm_sha": "ABCDEF0123456789abcdef0123456789abcdef01"])
            try await api.deploy("api", "2.0", to: "production", status: "completed")
            try await api.deploy("web", "2.0", to: "staging", status: "completed")
            var browser = Browser(api)
            try await browser.signIn()
            let bySha = try await browser.get("/ui/search?q=abcdef0")
            #expect(bySha.status == .ok && bySha.text.contains(">api</a>") && bySha.text.contains(">production</a>"))
            #expect(!bySha.text.contains(">web</a>"))
            let byName = try await browser.get("/ui/search?q=2.0")
            #expect(byName.text.contains(">api</a>") && byName.text.contains(">web</a>"))
            #expect(try await browser.get("/ui/search?q=nothing").text.contains("No version named"))
            // The API takes the same prefixes; six digits are no prefix but a whole (unknown) SHA.
            #expect(try await api.get("/versions/?scm_sha=AbCdEf01").json.arrayValue?.count == 1)
            #expect(try await api.get("/versions/?scm_sha=abcdef").json.arrayValue?.count == 0)
        }
    }

    @Test("Every page renders for a seeded server")
    func everyPage() async throws {
        try await withAPI { api in
            try await api.build("api", "1.0", extra: ["build_url": "https://ci.example/1", "scm_branch": "main",
                                                       "extra_metadata": ["checks": ["tests": "passed", "scan": "pending"]]])
            let deployed = try await api.deploy("api", "1.0", to: "production", status: "completed")
            let versionID = try #require(deployed.json["version_id"]?.stringValue)
            var browser = Browser(api)
            try await browser.signIn()
            for path in ["/", "/ui/products", "/ui/products/api", "/ui/environments", "/ui/environments/production",
                         "/ui/versions/\(versionID)", "/ui/insights", "/ui/insights?product=api&weeks=4", "/ui/search?q=1.0", "/ui/rules"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.text.hasPrefix("<!doctype html>") && page.text.hasSuffix("</html>\n"), "\(path)")
                #expect(!page.text.contains("nil") && !page.text.contains("Optional("), "\(path)")
            }
            let version = try await browser.get("/ui/versions/\(versionID)").text
            #expect(version.contains("check scan pending") && version.contains("href=\"https://ci.example/1\""))
            #expect(try await browser.get("/ui/insights?product=nothing").text.contains("No product named nothing"))
            #expect(try await browser.get("/ui/style.css").headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test("The rules page shows each rule in words and the newest refusals, warnings and skips, escaped")
    func rulesPage() async throws {
        let clock = SettableClock("2026-11-27T16:00:00Z")
        try await withAPI(clock: clock) { api in
            var browser = Browser(api)
            try await browser.signIn()
            #expect(try await browser.get("/ui/rules").text.contains("No deployment rules yet"))
            _ = try await api.post("/deployment-rules/", jsonText([
                "name": "<b>Freeze</b>", "type": "schedule", "environment_types": ["production"],
                "schedule": ["timezone": "Europe/Berlin", "reason": "Weekend",
                             "windows": [["days": ["fri"], "start": "15:00", "end": "08:00"]]]]))
            _ = try await api.post("/deployment-rules/", jsonText([
                "name": "Staging first", "type": "flow", "mode": "report_only", "products": ["<i>shop</i>"],
                "flow": ["prerequisites": ["staging"], "soak_minutes": 60]]))
            #expect(try await api.deploy("<i>shop</i>", "1", status: "started").status.code == 423)
            #expect(try await api.deploy("<i>shop</i>", "1", status: "started", extra: ["skip_preflight_checks": true]).status == .ok)
            let page = try await browser.get("/ui/rules")
            #expect(page.status == .ok)
            #expect(page.text.contains("&lt;b&gt;Freeze&lt;/b&gt;") && !page.text.contains("<b>Freeze"))
            #expect(page.text.contains("closed fri 15:00–08:00 (Europe/Berlin) — Weekend"))
            #expect(page.text.contains("after staging, soaked 60 min"))
            #expect(page.text.contains("products &lt;i&gt;shop&lt;/i&gt;") && page.text.contains("type production"))
            #expect(page.text.contains("⚠ report only") && page.text.contains("✕ enabled"))
            // Newest first: the skipped one, then the refusal and the warning beside it.
            let skipped = try #require(page.text.range(of: "↷ Skipped"))
            let blocked = try #require(page.text.range(of: "✕ Blocked"))
            #expect(skipped.lowerBound < blocked.lowerBound)
            #expect(page.text.contains("Warned (report only)") && page.text.contains("NO_DEPLOY_WINDOW"))
        }
    }

    @Test("--no-dashboard serves no pages")
    func disabled() async throws {
        let tracker = Tracker(shardCount: 1, journal: InMemoryJournal())
        let responder = buildResponder(configuration: ServerConfiguration(dashboard: false), state: ServerState(Backend(tracker: tracker)))
        #expect(!responder.routes.contains { $0.path == "/" || $0.path.hasPrefix("/ui/") })
        let enabled = buildResponder(configuration: ServerConfiguration(), state: ServerState(Backend(tracker: tracker)))
        #expect(enabled.routes.contains { $0.path == "/" } && enabled.routes.contains { $0.path == "/manage/deployments/" })
    }
}

@Suite("Dashboard formats")
struct DashboardFormatTests {
    @Test("Path components are percent-encoded byte by byte, unreserved characters kept", arguments: [
        ("api-1.2_x~", "api-1.2_x~"), ("a b/c?d", "a%20b%2Fc%3Fd"), ("<img>", "%3Cimg%3E"), ("é", "%C3%A9"), ("", ""),
    ])
    func component(text: String, expected: String) {
        #expect(Formats.component(text) == expected)
    }

    @Test("Only http(s) URLs become links, and commits link on the known hosts", arguments: [
        ("acme/api", "https://github.com/acme/api/commit/abc1234"),
        ("https://github.com/acme/api.git", "https://github.com/acme/api/commit/abc1234"),
        ("https://gitlab.com/group/sub/api", "https://gitlab.com/group/sub/api/-/commit/abc1234"),
        ("https://bitbucket.org/team/api", "https://bitbucket.org/team/api/commits/abc1234"),
        ("https://git.internal/acme/api", nil), ("javascript:alert(1)//a/b", nil),
    ] as [(String, String?)])
    func commitLinks(repository: String, expected: String?) {
        #expect(Formats.commitURL(repository: repository, sha: "abc1234") == expected)
        #expect(Formats.commitURL(repository: repository, sha: "abc\"><script>") == nil)
    }

    @Test("A link is made only of an http or https URL")
    func links() {
        #expect(Formats.link("https://ci.example/run/1") == "https://ci.example/run/1")
        #expect(Formats.link("http://ci.example") == "http://ci.example")
        for text in ["javascript:alert(1)", "data:text/html,x", "ftp://x.example", "/relative", "ci.example"] {
            #expect(Formats.link(text) == nil, "\(text)")
        }
    }
}
