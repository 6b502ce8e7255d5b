import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import VersionerCore

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}

/// The dashboard: HTML pages rendered by the server from the Mustache templates compiled into
/// the binary, readable without JavaScript; a small script keeps the state matrix live from
/// `/events/stream`. A person signs in with a key that may read (`/ui/login`) and gets a
/// session cookie; every page without a session sends them to sign in.
struct Dashboard: Sendable {
    let library: MustacheLibrary
    let sessions: SessionStore
    let authenticator: Authenticator
    let links: Links
    /// Whether the session cookie is marked `Secure` (always when a proxy says the request came over TLS).
    let cookieSecure: Bool
    /// Each product's rendered row, for as long as its cells are unchanged.
    private let rows = RowCache()

    /// The templates, by name (a template includes another as `{{> name}}`).
    static let templates: [String: [UInt8]] = [
        "header": PackageResources.header_mustache, "footer": PackageResources.footer_mustache,
        "login": PackageResources.login_mustache, "status": PackageResources.status_mustache,
        "row": PackageResources.row_mustache, "matrix": PackageResources.matrix_mustache,
        "pager": PackageResources.pager_mustache, "product": PackageResources.product_mustache,
        "chart": PackageResources.chart_mustache, "version": PackageResources.version_mustache,
        "timeline": PackageResources.timeline_mustache, "deployment": PackageResources.deployment_mustache,
        "environment": PackageResources.environment_mustache, "list": PackageResources.list_mustache,
        "search": PackageResources.search_mustache, "message": PackageResources.message_mustache,
        "insights": PackageResources.insights_mustache, "rules": PackageResources.rules_mustache,
    ]

    /// What every page, the stylesheet and the script are sent with.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "same-origin",
    ]

    /// Rows of the state matrix on one page.
    static let matrixPageSize = 100

    init(basePath: String, sessions: SessionStore, authenticator: Authenticator, cookieSecure: Bool) {
        MustacheContentTypes.register(HTMLEscaping(), named: HTMLEscaping.name)
        var library = MustacheLibrary()
        for (name, bytes) in Self.templates {
            do {
                try library.register("{{% CONTENT_TYPE: \(HTMLEscaping.name) }}" + String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                preconditionFailure("The dashboard's template \(name) does not parse: \(error)")
            }
        }
        self.library = library
        self.sessions = sessions
        self.authenticator = authenticator
        self.links = Links(base: basePath.split(separator: "/").map { "/" + $0 }.joined())
        self.cookieSecure = cookieSecure
    }

    var routes: [Route] {
        [
            Route(asset: .get, "/ui/style.css", EncodedBody(PackageResources.style_css, contentType: "text/css; charset=utf-8"),
                  headers: Self.securityHeaders),
            Route(asset: .get, "/ui/app.js", EncodedBody(PackageResources.app_js, contentType: "text/javascript; charset=utf-8"),
                  headers: Self.securityHeaders),
            Route(page: .get, "/ui/login") { input throws(APIError) in loginPage(input) },
            Route(page: .post, "/ui/login") { input throws(APIError) in await signIn(input) },
            Route(page: .post, "/ui/logout") { input throws(APIError) in signOut(input) },
            signedIn(.get, "/", matrixPage),
            signedIn(.get, "/ui/fragments/row", matrixRow),
            signedIn(.get, "/ui/products", productList),
            signedIn(.get, "/ui/products/{name}", productPage),
            signedIn(.get, "/ui/environments", environmentList),
            signedIn(.get, "/ui/environments/{name}", environmentPage),
            signedIn(.get, "/ui/versions/{id}", versionPage),
            signedIn(.get, "/ui/deployments/{id}") { input in
                await deploymentPage(input, id: input.parameters["id"].flatMap(EntityID.init(uuidString:)))
            },
            // Where the GitHub Action's job summary links each deployment.
            signedIn(.get, "/manage/deployments") { input in
                await deploymentPage(input, id: input.query["view"].flatMap(EntityID.init(uuidString:)))
            },
            signedIn(.get, "/ui/insights", insightsPage),
            signedIn(.get, "/ui/search", searchPage),
            signedIn(.get, "/ui/rules", rulesPage),
        ]
    }

    // MARK: Sign-in

    /// A page that needs a session: without one, a 303 to sign in that comes back here.
    private func signedIn(_ method: HTTPRequest.Method, _ pattern: String,
                          _ page: @escaping @Sendable (RequestInput) async -> Response) -> Route {
        Route(page: method, pattern) { input throws(APIError) in
            guard holder(of: input) != nil else {
                let target = input.request.uri.path + (input.request.uri.query.map { "?" + $0 } ?? "")
                return redirect(to: links.base + "/ui/login?next=" + Formats.component(target))
            }
            return await page(input)
        }
    }

    private func holder(of input: RequestInput) -> SessionStore.Holder? {
        sessions.holder(of: input.request, tracker: input.tracker, bootstrapConfigured: authenticator.bootstrapToken != nil)
    }

    private func loginPage(_ input: RequestInput, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let next = Self.relativeTarget(input.query["next"]) ?? links.home
        if problem == nil, holder(of: input) != nil { return redirect(to: next) }
        struct Model { let base: String; let next: String; let problem: String? }
        return render("login", Model(base: links.base, next: next, problem: problem), for: input.request, status: status)
    }

    private func signIn(_ input: RequestInput) async -> Response {
        let form: QueryParameters
        do {
            let body = try await input.request.body.collect(upTo: 16 * 1024)
            form = QueryParameters(String(buffer: body))
        } catch {
            return loginPage(input, problem: "The form was too large.", status: .contentTooLarge)
        }
        let next = Self.relativeTarget(form["next"]) ?? links.home
        guard let key = form["key"]?.trimmingCharacters(in: .whitespaces), !key.isEmpty,
              let holder = authenticator.reader(key, tracker: input.tracker) else {
            var retry = input
            retry.query = QueryParameters("next=" + Formats.component(next))
            return loginPage(retry, problem: "That key is not valid, or may not read.", status: .unauthorized)
        }
        let token = sessions.open(for: holder)
        var response = redirect(to: next)
        response.headers[.setCookie] = cookie(token, maxAge: Int(sessions.lifetime.components.seconds), for: input.request)
        return response
    }

    private func signOut(_ input: RequestInput) -> Response {
        if let token = SessionStore.token(in: input.request) { sessions.close(token) }
        var response = redirect(to: links.base + "/ui/login")
        response.headers[.setCookie] = cookie("", maxAge: 0, for: input.request)
        return response
    }

    private func cookie(_ value: String, maxAge: Int, for request: Request) -> String {
        let secure = cookieSecure || request.headers[.xForwardedProto]?.lowercased() == "https"
        return "\(SessionStore.cookieName)=\(value); HttpOnly; SameSite=Strict; Path=/; Max-Age=\(maxAge)" + (secure ? "; Secure" : "")
    }

    /// `next` when it is a path on this server (`/…`, never `//host` or a URL with a scheme): no open redirect.
    static func relativeTarget(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0 != "\\" && $0.value != 0x7F }) else { return nil }
        return next
    }

    private func redirect(to location: String) -> Response {
        var headers = Self.securityHeaders
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    // MARK: Rendering

    /// What the header of every page reads.
    struct Frame {
        let base: String
        let title: String
        let live: String
        let search: String
    }

    private func render(_ template: String, _ model: Any, for request: Request, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(model, withTemplate: template) ?? ""
        var response = EncodedBody(Array(html.utf8), contentType: "text/html; charset=utf-8")
            .response(to: request, headers: Self.securityHeaders)
        if status != .ok, response.status == .ok { response.status = status }
        return response
    }

    /// A page of `template` whose model is `fields` laid over the page's frame.
    private func page(_ template: String, title: String, live: String = "", search: String = "", _ fields: [String: Any] = [:],
                      for input: RequestInput, status: HTTPResponse.Status = .ok) -> Response {
        var model: [String: Any] = ["base": links.base, "title": title, "live": live, "search": search]
        for (key, value) in fields { model[key] = value }
        return render(template, Self.templateValue(model) ?? model, for: input.request, status: status)
    }

    /// `value` with Swift's optionals taken out of its dictionaries (an absent value is left
    /// out, a present one unwrapped): the templates read a dictionary's values as they are, and
    /// would render an empty optional as the text `nil`, or a section for it.
    static func templateValue(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return templateValue(wrapped)
        }
        if let dictionary = value as? [String: Any] { return dictionary.compactMapValues(templateValue) }
        if let array = value as? [[String: Any]] { return array.map { $0.compactMapValues(templateValue) } }
        return value
    }

    private func notFound(_ what: String, _ input: RequestInput) -> Response {
        page("message", title: "Not found", ["message": what], for: input, status: .notFound)
    }

    // MARK: The state matrix

    private func matrixPage(_ input: RequestInput) async -> Response {
        let tracker = input.tracker
        let productFilter = input.query["product"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let environment = input.query["environment"].flatMap { $0.isEmpty ? nil : $0 }
        let type = input.query["type"].flatMap(EnvironmentType.init(rawValue:))
        let query = StateQuery(environment: environment, type: type)
        let size = Self.matrixPageSize
        let requested = max(1, input.query["page"].flatMap { Int($0) } ?? 1)
        var (matrix, total) = await tracker.stateMatrixPage(query, nameContains: productFilter, offset: (requested - 1) * size, limit: size)
        let pages = max(1, (total + size - 1) / size)
        let number = min(requested, pages)
        if number != requested {  // past the last page: show the last one
            (matrix, total) = await tracker.stateMatrixPage(query, nameContains: productFilter, offset: (number - 1) * size, limit: size)
        }
        let shown = matrix.products
        let now = tracker.now()
        let columns = matrix.environments.map(\.name)
        func pageURL(_ page: Int) -> String {
            var query = [("page", String(page))]
            if !productFilter.isEmpty { query.append(("product", productFilter)) }
            if let environment { query.append(("environment", environment)) }
            if let type { query.append(("type", type.rawValue)) }
            return links.home + "?" + query.map { $0.0 + "=" + Formats.component($0.1) }.joined(separator: "&")
        }
        let allEnvironments = tracker.environments(type: nil, PageRequest(limit: 1000)).items.map(\.name).sorted()
        return page("matrix", title: "State", live: "matrix", [
            "filter": ["product": productFilter],
            "filtered": !productFilter.isEmpty || environment != nil || type != nil,
            "environmentOptions": allEnvironments.map { Option(name: $0, selected: $0 == environment) },
            "typeOptions": EnvironmentType.allCases.map { Option(name: $0.rawValue, selected: $0 == type) },
            // The type under the name, unless the name says it already.
            "environments": matrix.environments.map {
                ["name": $0.name, "type": ($0.type.rawValue == $0.name ? nil : $0.type.rawValue) as Any,
                 "url": links.environment($0.name)] as [String: Any]
            },
            "rows": shown.map { ["html": rowHTML($0, columns: columns, now: now)] },
            "hasRows": !shown.isEmpty,
            "pager": pages > 1 ? Pager(previous: number > 1 ? PageLink(url: pageURL(number - 1), label: "Previous") : nil,
                                       next: number < pages ? PageLink(url: pageURL(number + 1), label: "Next") : nil,
                                       label: "Page \(number) of \(pages) · \(total) products") : nil as Pager? as Any,
        ], for: input)
    }

    /// A product's row of the matrix, rendered, or taken from the cache when its cells have not
    /// changed. (Its times are written as dates, so that the row stays true while it is kept; the
    /// page's script shows them as "5 min ago".)
    private func rowHTML(_ row: ProductStateRow, columns: [String], now: Timestamp) -> String {
        let key = RowCache.Key(product: row.product.id, columns: columns)
        if let html = rows.html(for: key, of: row) { return html }
        let html = library.render(MatrixRow(row, columns: columns, links: links, now: now), withTemplate: "row") ?? ""
        rows.keep(html, for: key, of: row)
        return html
    }

    /// One product's row of the matrix, for the columns the page shows (what the live page swaps in).
    private func matrixRow(_ input: RequestInput) async -> Response {
        guard let product = input.query["only"], !product.isEmpty else { return notFound("No product named.", input) }
        let matrix = await input.tracker.stateMatrix(StateQuery(product: product))
        guard let row = matrix.products.first else { return notFound("No deployments of \(product).", input) }
        let columns = input.query.values("column")
        let html = rowHTML(row, columns: columns, now: input.tracker.now())
        return EncodedBody(Array(html.utf8), contentType: "text/html; charset=utf-8").response(to: input.request, headers: Self.securityHeaders)
    }

    // MARK: Products and environments

    private func productList(_ input: RequestInput) async -> Response {
        let cursor = input.query["cursor"].flatMap(EntityID.init(uuidString:))
        let found = await input.tracker.products(PageRequest(limit: 100, cursor: cursor))
        let items = found.items.sorted { $0.name < $1.name }.map { ["name": $0.name, "url": links.product($0.name)] }
        return page("list", title: "Products", [
            "items": items, "hasItems": !items.isEmpty, "empty": "No products yet.",
            "pager": found.nextCursor.map { Pager(previous: cursor == nil ? nil : PageLink(url: links.base + "/ui/products", label: "First"),
                                                  next: PageLink(url: links.base + "/ui/products?cursor=\($0.uuidString)", label: "More"),
                                                  label: "") } as Any,
        ], for: input)
    }

    private func environmentList(_ input: RequestInput) async -> Response {
        let environments = input.tracker.environments(type: nil, PageRequest(limit: 1000)).items
            .sorted { ($0.type.displayRank, $0.name) < ($1.type.displayRank, $1.name) }
        let items = environments.map { ["name": $0.name, "url": links.environment($0.name), "note": $0.type.rawValue] }
        return page("list", title: "Environments", ["items": items, "hasItems": !items.isEmpty, "empty": "No environments yet."],
                    for: input)
    }

    private func productPage(_ input: RequestInput) async -> Response {
        let tracker = input.tracker
        guard let name = input.parameters["name"], let product = await tracker.product(named: name) else {
            return notFound("No product of that name.", input)
        }
        let now = tracker.now()
        let row = await tracker.stateMatrix(StateQuery(product: name)).products.first
        let environments = (row?.cells ?? []).map { environment, cell in
            let matrixCell = MatrixCell(cell, links: links, now: now)
            return ["environment": environment.name, "environmentURL": links.environment(environment.name),
                    "type": environment.type.rawValue, "current": matrixCell.current as Any, "attempt": matrixCell.attempt as Any]
        }
        let deploymentCursor = input.query["deployments"].flatMap(EntityID.init(uuidString:))
        let deployments = await tracker.deployments(DeploymentQuery(product: name), PageRequest(limit: 25, cursor: deploymentCursor))
        let buildCursor = input.query["builds"].flatMap(EntityID.init(uuidString:))
        let builds = await tracker.builds(BuildQuery(product: name), PageRequest(limit: 25, cursor: buildCursor))
        let here = links.product(name)
        func pager(_ parameter: String, _ cursor: EntityID?, _ next: EntityID?) -> Pager? {
            guard cursor != nil || next != nil else { return nil }
            return Pager(previous: cursor == nil ? nil : PageLink(url: here, label: "Newest"),
                         next: next.map { PageLink(url: here + "?\(parameter)=\($0.uuidString)", label: "Older") }, label: "")
        }
        let window = Self.weeks(12, until: now)
        let buildInsights = try? await tracker.buildInsights(BuildInsightsQuery(product: name, branch: nil, window: window))
        let production = (try? tracker.environments(named: [], orType: .production)) ?? []
        let dora = try? await tracker.dora(DoraQuery(product: name, environmentIDs: Set(production.map(\.id)), window: window))
        return page("product", title: name, [
            "name": name, "description": product.description as Any,
            "environments": environments, "hasEnvironments": !environments.isEmpty,
            "deployments": deployments.items.map { DeploymentLine($0, links: links, now: now) },
            "hasDeployments": !deployments.items.isEmpty,
            "deploymentPager": pager("deployments", deploymentCursor, deployments.nextCursor) as Any,
            "builds": builds.items.map { buildLine($0.build, version: $0.version, now: now) },
            "hasBuilds": !builds.items.isEmpty,
            "buildPager": pager("builds", buildCursor, builds.nextCursor) as Any,
            "chart": buildInsights.flatMap { $0.totals.builds == 0 ? nil : buildChart($0, id: "builds") } as Any,
            "buildSummary": buildInsights.map(Self.buildSummary) ?? "",
            "deploymentChart": dora.map { ["chart": deploymentChart($0, id: "deployments", caption: "Production deployments per week")] } as Any,
        ], for: input)
    }

    private func environmentPage(_ input: RequestInput) async -> Response {
        let tracker = input.tracker
        guard let name = input.parameters["name"], let environment = try? tracker.environments(named: [name], orType: .production).first else {
            return notFound("No environment of that name.", input)
        }
        let now = tracker.now()
        let matrix = await tracker.stateMatrix(StateQuery(environment: name))
        let running = matrix.products.map { row in
            let cell = MatrixCell(row.cells.first?.cell, links: links, now: now)
            return ["product": row.product.name, "productURL": links.product(row.product.name),
                    "current": cell.current as Any, "attempt": cell.attempt as Any]
        }
        let cursor = input.query["deployments"].flatMap(EntityID.init(uuidString:))
        let deployments = await tracker.deployments(DeploymentQuery(environment: name), PageRequest(limit: 50, cursor: cursor))
        let here = links.environment(name)
        let pager: Pager? = cursor == nil && deployments.nextCursor == nil ? nil : Pager(
            previous: cursor == nil ? nil : PageLink(url: here, label: "Newest"),
            next: deployments.nextCursor.map { PageLink(url: here + "?deployments=\($0.uuidString)", label: "Older") }, label: "")
        return page("environment", title: name, [
            "name": name, "type": environment.type.rawValue,
            "running": running, "hasRunning": !running.isEmpty,
            "deployments": deployments.items.map { DeploymentLine($0, links: links, now: now) },
            "hasDeployments": !deployments.items.isEmpty, "deploymentPager": pager as Any,
        ], for: input)
    }

    // MARK: Versions and deployments

    private func versionPage(_ input: RequestInput) async -> Response {
        let tracker = input.tracker
        guard let id = input.parameters["id"].flatMap(EntityID.init(uuidString:)), let view = try? await tracker.version(id: id) else {
            return notFound("No version with that id.", input)
        }
        let now = tracker.now()
        let version = view.version
        let events = await tracker.events(EventQuery(product: view.productName), PageRequest(limit: 1000)).items
            .filter { $0.event.versionID == id }
        let readiness = view.readiness
        let checks = readiness.checks.map { check -> [String: Any] in
            let (icon, style) = switch check.state {
            case "passed": ("✓", "completed")
            case "failed": ("✗", "failed")
            case "pending": ("…", "pending")
            default: ("⊘", "skipped")
            }
            return ["name": check.name, "state": check.state, "icon": icon, "class": style]
        }
        return page("version", title: "\(view.productName) \(version.name)", [
            "name": version.name, "product": view.productName, "productURL": links.product(view.productName),
            "ready": readiness.ready,
            "readinessSummary": readiness.ready ? "Ready: its newest build completed and no reported check failed or is pending."
                : "Not ready: " + readiness.reasons.joined(separator: ", ") + ".",
            "checks": checks, "hasChecks": !checks.isEmpty,
            "sha": version.scmSha as Any, "branch": version.scmBranch as Any, "repository": version.scmRepository as Any,
            "commitURL": Formats.commitURL(repository: version.scmRepository, sha: version.scmSha) as Any,
            "iso": version.createdAt.rfc3339, "when": Formats.when(version.createdAt),
            "deployedTo": view.deployedTo.map { place in
                ["environment": place.environment.name, "environmentURL": links.environment(place.environment.name),
                 "type": place.environment.type.rawValue, "url": links.deployment(place.deploymentID),
                 "iso": place.deployedAt.rfc3339, "when": Formats.when(place.deployedAt)] as [String: Any]
            },
            "hasDeployedTo": !view.deployedTo.isEmpty,
            "builds": view.builds.reversed().map { buildLine($0, version: version.name, now: now) },
            "hasBuilds": !view.builds.isEmpty,
            "timeline": timeline(events), "hasTimeline": !events.isEmpty,
        ], for: input)
    }

    private func deploymentPage(_ input: RequestInput, id: EntityID?) async -> Response {
        let tracker = input.tracker
        guard let id, let view = try? await tracker.deployment(id: id) else { return notFound("No deployment with that id.", input) }
        let deployment = view.deployment
        let version = try? await tracker.version(id: deployment.versionID)
        let events = await tracker.events(EventQuery(product: view.productName), PageRequest(limit: 1000)).items.filter {
            if case .deployment(let accepted) = $0.event { return accepted.deploymentID == id }
            return false
        }
        let shown: Set<DeploymentField> = [.scmSha, .extraMetadata]
        let fields = DeploymentField.allCases.filter { $0.spec.role == .record && !shown.contains($0) }.compactMap { field -> [String: Any]? in
            guard let value = deployment[field] else { return nil }
            return ["name": field.spec.name, "value": value, "link": Formats.link(value) as Any]
        }
        let sha = deployment[.scmSha] ?? version?.version.scmSha
        let repository = deployment[.scmRepository] ?? version?.version.scmRepository
        let metadata = deployment.extraMetadata
        return page("deployment", title: "\(view.productName) \(view.version) → \(view.environmentName)", [
            "id": deployment.id.uuidString, "product": view.productName, "productURL": links.product(view.productName),
            "version": view.version, "versionURL": links.version(deployment.versionID),
            "environment": view.environmentName, "environmentURL": links.environment(view.environmentName),
            "status": deployment.status.rawValue, "icon": Formats.icon(deployment.status), "rollback": view.isRollback,
            "started": deployment.startedAt.map(Formats.when) ?? "—", "completed": deployment.completedAt.map(Formats.when) ?? "—",
            "sha": sha as Any, "commitURL": Formats.commitURL(repository: repository, sha: sha) as Any,
            "fields": fields,
            "metadata": metadata.text == RawJSONObject.empty.text ? nil as String? as Any : metadata.text,
            "timeline": timeline(events), "hasTimeline": !events.isEmpty,
        ], for: input)
    }

    private func timeline(_ events: [EventView]) -> [[String: Any]] {
        events.reversed().map { view in
            let event = view.event
            var what = event.eventType.replacingOccurrences(of: ".", with: " ")
            var detail: String?
            switch event {
            case .deployment(let accepted):
                what = "deployment to \(accepted.input.environmentName)"
                detail = accepted.input[.deployedBy].map { "by \($0)" }
            case .build(let accepted):
                what = "build" + (accepted.input[.buildNumber].map { " #\($0)" } ?? "")
                detail = accepted.input[.scmBranch].map { "on \($0)" }
            }
            return ["iso": event.recordedAt.rfc3339, "when": Formats.when(event.recordedAt), "what": what,
                    "status": event.status.rawValue, "icon": Formats.icon(event.status), "detail": detail as Any]
        }
    }

    private func buildLine(_ build: Build, version: String, now: Timestamp) -> [String: Any] {
        let time = build.startedAt ?? build.completedAt ?? build.createdAt
        var duration = "—"
        if let started = build.startedAt, let completed = build.completedAt {
            duration = Formats.duration(seconds: Double(completed.microseconds - started.microseconds) / 1_000_000)
        } else if let reported = BuildInsights.reportedDuration(of: build) {
            duration = Formats.duration(seconds: reported)
        }
        return ["version": version, "versionURL": links.version(build.versionID), "number": build[.buildNumber] ?? "—",
                "link": Formats.link(build[.buildURL]) as Any, "status": build.status.rawValue, "icon": Formats.icon(build.status),
                "branch": build[.scmBranch] ?? "", "duration": duration, "iso": time.rfc3339, "when": Formats.when(time),
                "ago": Formats.ago(time, now: now)]
    }

    // MARK: Insights

    /// The last `count` weeks up to `until`, in UTC.
    static func weeks(_ count: Int, until: Timestamp) -> InsightsWindow {
        let since = Timestamp(microseconds: until.microseconds - Int64(count) * 7 * 86_400_000_000)
        // A window this short always has few enough buckets, in a zone that exists.
        return try! InsightsWindow(since: since, until: until, interval: .week, timeZone: "UTC")
    }

    private static func weekLabel(_ start: Timestamp) -> String {
        let text = start.rfc3339
        return String(text.dropFirst(5).prefix(5))  // MM-DD
    }

    private func buildChart(_ insights: BuildInsights, id: String) -> Chart {
        let starts = insights.query.window.bucketStarts
        return Chart(
            id: id, caption: "Builds per week; line: median duration",
            stacks: insights.buckets.map { [Double($0.completed), Double($0.failed)] }, kinds: ["ok", "bad"],
            trend: insights.buckets.map { Statistics.median(of: $0.durations) },
            labels: starts.map(Self.weekLabel),
            tips: zip(starts, insights.buckets).map { start, figures in
                "Week of \(Formats.when(start).prefix(10)): \(figures.completed) completed, \(figures.failed) failed"
                    + (Statistics.median(of: figures.durations).map { ", median \(Formats.duration(seconds: $0))" } ?? "")
            },
            legend: [.init(kind: "ok", text: "completed"), .init(kind: "bad", text: "failed"), .init(kind: "trend", text: "median duration")])
    }

    private func deploymentChart(_ insights: DoraInsights, id: String, caption: String) -> Chart {
        let starts = insights.query.window.bucketStarts
        return Chart(
            id: id, caption: caption + "; line: median lead time",
            stacks: insights.buckets.map { [Double($0.counted - $0.failures), Double($0.failures)] }, kinds: ["ok", "bad"],
            trend: insights.buckets.map { Statistics.median(of: $0.leadTimes) },
            labels: starts.map(Self.weekLabel),
            tips: zip(starts, insights.buckets).map { start, figures in
                "Week of \(Formats.when(start).prefix(10)): \(figures.counted) deployments, \(figures.failures) change failures"
                    + (Statistics.median(of: figures.leadTimes).map { ", median lead time \(Formats.hours($0))" } ?? "")
            },
            legend: [.init(kind: "ok", text: "deployments"), .init(kind: "bad", text: "change failures"),
                     .init(kind: "trend", text: "median lead time")])
    }

    private static func buildSummary(_ insights: BuildInsights) -> String {
        let totals = insights.totals
        return "\(totals.builds) builds, success rate \(Formats.percent(totals.successRate)), median duration "
            + (Statistics.median(of: totals.durations).map(Formats.duration) ?? "—") + ", \(insights.commits.count) commits."
    }

    private func insightsPage(_ input: RequestInput) async -> Response {
        let tracker = input.tracker
        let product = input.query["product"].flatMap { $0.isEmpty ? nil : $0 }
        let type = input.query["environment_type"].flatMap(EnvironmentType.init(rawValue:)) ?? .production
        let weekChoices = [4, 12, 26, 52]
        let weeks = input.query["weeks"].flatMap { Int($0) }.flatMap { weekChoices.contains($0) ? $0 : nil } ?? 12
        let now = tracker.now()
        let window = Self.weeks(weeks, until: now)
        let scope = (try? tracker.environments(named: [], orType: type)) ?? []
        var fields: [String: Any] = [
            "product": product ?? "", "weeks": weeks,
            "scope": (product ?? "Every product") + ", \(type.rawValue) environments",
            "typeOptions": EnvironmentType.allCases.map { Option(name: $0.rawValue, selected: $0 == type) },
            "weekOptions": weekChoices.map { Option(name: String($0), selected: $0 == weeks) },
        ]
        do throws(TrackerError) {
            let dora = try await tracker.dora(DoraQuery(product: product, environmentIDs: Set(scope.map(\.id)), window: window))
            let builds = try await tracker.buildInsights(BuildInsightsQuery(product: product, branch: nil, window: window))
            let totals = dora.totals
            fields["tiles"] = [
                ["name": "Deployment frequency", "value": dora.deploymentsPerDay.map { String(format: "%.2f / day", $0) } ?? "—",
                 "note": "\(totals.completed) completed deployments"],
                ["name": "Change lead time", "value": Formats.hours(Statistics.median(of: totals.leadTimes)),
                 "note": "median of \(totals.leadTimes.count) versions; p90 \(Formats.hours(Statistics.nearestRank(90, of: totals.leadTimes)))"],
                ["name": "Change fail rate", "value": Formats.percent(totals.changeFailRate),
                 "note": "\(totals.failures) of \(totals.counted) deployments"],
                ["name": "Recovery time", "value": Formats.hours(Statistics.median(of: totals.recoveryTimes)),
                 "note": "median of \(totals.recoveryTimes.count) recoveries"],
                ["name": "Rework rate", "value": Formats.percent(totals.reworkRate),
                 "note": "\(totals.rework) rollbacks and hotfixes"],
            ]
            fields["charts"] = [["chart": deploymentChart(dora, id: "dora", caption: "Deployments per week")]]
            let buildTotals = builds.totals
            fields["buildTiles"] = [
                ["name": "Builds", "value": String(buildTotals.builds), "note": "\(builds.commits.count) commits"],
                ["name": "Success rate", "value": Formats.percent(buildTotals.successRate),
                 "note": "\(buildTotals.completed) completed, \(buildTotals.failed) failed"],
                ["name": "Duration", "value": Statistics.median(of: buildTotals.durations).map(Formats.duration) ?? "—",
                 "note": "median; p90 " + (Statistics.nearestRank(90, of: buildTotals.durations).map(Formats.duration) ?? "—")],
            ]
            fields["buildCharts"] = [["chart": buildChart(builds, id: "build-trend")]]
        } catch {
            fields["problem"] = "No product named \(product ?? "")."
        }
        if product == nil {
            let cursor = input.query["cursor"].flatMap(EntityID.init(uuidString:))
            let page = await tracker.products(PageRequest(limit: 25, cursor: cursor))
            var rows: [[String: Any]] = []
            for item in page.items {
                guard let figures = try? await tracker.dora(DoraQuery(product: item.name, environmentIDs: Set(scope.map(\.id)),
                                                                      window: window)) else { continue }
                rows.append(["name": item.name, "url": links.product(item.name),
                             "frequency": figures.deploymentsPerDay.map { String(format: "%.2f", $0) } ?? "—",
                             "leadTime": Formats.hours(Statistics.median(of: figures.totals.leadTimes)),
                             "failRate": Formats.percent(figures.totals.changeFailRate),
                             "recovery": Formats.hours(Statistics.median(of: figures.totals.recoveryTimes)),
                             "rework": Formats.percent(figures.totals.reworkRate)])
            }
            fields["products"] = rows
            fields["hasProducts"] = !rows.isEmpty
            let here = links.base + "/ui/insights?environment_type=\(type.rawValue)&weeks=\(weeks)"
            fields["pager"] = cursor == nil && page.nextCursor == nil ? nil as Pager? as Any : Pager(
                previous: cursor == nil ? nil : PageLink(url: here, label: "First"),
                next: page.nextCursor.map { PageLink(url: here + "&cursor=\($0.uuidString)", label: "More") }, label: "")
        }
        return self.page("insights", title: "Insights", fields, for: input)
    }

    // MARK: Search

    private func searchPage(_ input: RequestInput) async -> Response {
        let tracker = input.tracker
        let text = input.query["q"]?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !text.isEmpty else { return redirect(to: links.home) }
        let isSha = VersionQuery.isAbbreviatedSha(text)
            || (text.utf8.count == 40 && text.utf8.allSatisfy { $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit })
        let versions = isSha ? await tracker.versions(VersionQuery(scmSha: text), PageRequest(limit: 100)).items
            : await tracker.versions(named: text)
        let results = versions.map { view -> [String: Any] in
            ["product": view.productName, "productURL": links.product(view.productName), "version": view.version.name,
             "url": links.version(view.version.id), "sha": view.version.scmSha as Any,
             "short": String((view.version.scmSha ?? "").prefix(12)),
             "places": view.deployedTo.map { place in
                 ["environment": place.environment.name, "url": links.deployment(place.deploymentID),
                  "production": place.environment.type == .production] as [String: Any]
             }]
        }
        let product = await tracker.product(named: text)
        return page("search", title: "Find \(text)", search: text, [
            "isSha": isSha,
            "explanation": isSha ? "Versions whose commit SHA starts with it, and where each runs now."
                : "Versions of that name, and where each runs now.",
            "results": results, "hasResults": !results.isEmpty,
            "products": product.map { [["name": $0.name, "url": links.product($0.name)]] } ?? [],
        ], for: input)
    }

    // MARK: Deployment rules

    /// The rules, what each checks and where, and the newest refusals, warnings and skips.
    private func rulesPage(_ input: RequestInput) async -> Response {
        let tracker = input.tracker
        let now = tracker.now()
        let rules = tracker.rules(PageRequest(limit: PageRequest.maximumLimit)).items
            .sorted { ($0.name, $0.id) < ($1.name, $1.id) }
            .map { rule -> [String: Any] in
                let (modeIcon, modeClass): (String, String) = switch rule.mode {
                case .enabled: ("✕", "enabled")
                case .reportOnly: ("⚠", "report-only")
                case .disabled: ("○", "disabled")
                }
                return ["name": rule.name, "type": rule.kind.typeName, "settings": RuleText.settings(rule.kind),
                        "mode": rule.mode.rawValue.replacingOccurrences(of: "_", with: " "), "modeIcon": modeIcon,
                        "modeClass": modeClass, "scope": RuleText.scope(rule),
                        "skip": rule.allowSkip ? "allowed" : "not allowed",
                        "updatedISO": rule.updatedAt.rfc3339, "updatedAgo": Formats.ago(rule.updatedAt, now: now)]
            }
        let violations = await tracker.violations(ViolationQuery(), PageRequest(limit: 50)).items.map { view -> [String: Any] in
            let violation = view.violation
            let (outcome, icon, style) = violation.skipped ? ("Skipped", "↷", "skipped")
                : violation.blocked ? ("Blocked", "✕", "blocked") : ("Warned (report only)", "⚠", "warned")
            return ["iso": view.event.recordedAt.rfc3339, "ago": Formats.ago(view.event.recordedAt, now: now),
                    "outcome": outcome, "outcomeIcon": icon, "outcomeClass": style, "rule": violation.ruleName,
                    "product": view.event.input.productName, "productURL": links.product(view.event.input.productName),
                    "version": view.event.input.version, "environment": view.event.input.environmentName,
                    "environmentURL": links.environment(view.event.input.environmentName),
                    "message": violation.message, "code": violation.code.rawValue]
        }
        return page("rules", title: "Deployment rules", [
            "rules": rules, "hasRules": !rules.isEmpty, "violations": violations, "hasViolations": !violations.isEmpty,
        ], for: input)
    }
}
