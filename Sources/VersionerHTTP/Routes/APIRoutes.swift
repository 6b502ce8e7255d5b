import HTTPTypes
import Hummingbird
import Logging
import VersionerCore
import VersionerStore

extension HTTPField.Name {
    static let link = HTTPField.Name("Link")!
}

/// Every endpoint of docs/API.md §3–4, each a thin translation: decode, call the tracker, encode.
struct APIRoutes {
    /// Encoded answers of what dashboards poll, each valid until the next change.
    let stateAnswers = AnswerCache<StateQuery, EncodedBody>()
    let deploymentPages = AnswerCache<PageKey<DeploymentQuery>, EncodedPage>()
    let eventPages = AnswerCache<PageKey<EventQuery>, EncodedPage>()
    /// The largest body `POST /import/` takes.
    var maximumImportSize = ServerConfiguration.defaultMaximumImportSize
    /// Webhooks, with where they may send.
    var webhooks = WebhookRoutes(policy: AddressPolicy(allowPrivate: false), logger: Logger(label: "versioner"))

    var all: [Route] {
        let reads: [Route] = eventRoutes + productRoutes + environmentRoutes + queryRoutes + [EventStream.route] + insightRoutes
        let writes: [Route] = RuleRoutes.all + keyRoutes + adminRoutes + HistoryRoutes.routes(maximumImportSize: maximumImportSize)
        return reads + writes + webhooks.all
    }

    // MARK: Events (§3)

    private var eventRoutes: [Route] {
        let recordBuild: @Sendable (RequestInput) async throws(APIError) -> Response = { input throws(APIError) in
            let event = try BuildEventInput.validate(try await input.jsonObject()).orReject()
            return try await Idempotency.recordingEvent(input, invokeID: event.invokeID) { tag throws(APIError) in
                let recorded = try await tracked { () throws(TrackerError) in try await input.tracker.record(event, request: tag) }
                input.metrics.recordAccepted(.build, event.status)
                return Reply.json { $0.build(recorded.subject) }
            }
        }
        return [
            Route(.post, "/deployment-events", scope: .eventsWrite) { input throws(APIError) in
                let body = try await input.jsonObject()
                let event = try DeploymentEventInput.validate(body).orReject()
                // Validated as a boolean above; a skip is asked only by `true`.
                let skip = body.last(where: { $0.key == "skip_preflight_checks" })?.value == .bool(true)
                return try await Idempotency.recordingEvent(input, invokeID: event.invokeID) { tag throws(APIError) in
                    let recorded = try await tracked { () throws(TrackerError) in
                        try await input.tracker.record(event, skipPreflight: skip, request: tag)
                    }
                    input.metrics.recordAccepted(.deployment, event.status)
                    return Reply.json { $0.deployment(recorded.subject, preflight: recorded.preflight) }
                }
            },
            Route(.post, "/build-events", scope: .eventsWrite, recordBuild),
            Route(.post, "/version-events", scope: .eventsWrite, recordBuild),
        ]
    }

    // MARK: Products

    private var productRoutes: [Route] {
        return [
            Route(.get, "/products") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let page = reader.page()
                try reader.check()
                return Reply.list(await input.tracker.products(page), for: input) { $0.product($1) }
            },
            Route(.post, "/products") { input throws(APIError) in
                let new = try NewProduct.validate(try await input.jsonObject()).orReject()
                let product = try await tracked { () throws(TrackerError) in try await input.tracker.createProduct(new) }
                return Reply.json(.created) { $0.product(product) }
            },
            Route(.get, "/products/{id}") { input throws(APIError) in
                let id = try input.id()
                let product = try await tracked { () throws(TrackerError) in try await input.tracker.product(id: id) }
                return Reply.json(for: input) { $0.product(product) }
            },
            Route(.patch, "/products/{id}") { input throws(APIError) in
                let id = try input.id()
                let patch = try ProductPatch.validate(try await input.jsonObject()).orReject()
                let product = try await tracked { () throws(TrackerError) in try await input.tracker.updateProduct(id: id, patch) }
                return Reply.json { $0.product(product) }
            },
            Route(.delete, "/products/{id}") { input throws(APIError) in
                let id = try input.id()
                try await tracked { () throws(TrackerError) in try await input.tracker.deleteProduct(id: id) }
                return Reply.noContent
            },
        ]
    }

    // MARK: Environments

    private var environmentRoutes: [Route] {
        return [
            Route(.get, "/environments") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let type = reader.environmentType()
                let page = reader.page()
                try reader.check()
                return Reply.list(input.tracker.environments(type: type, page), for: input) { $0.environment($1) }
            },
            Route(.get, "/environments/{id}") { input throws(APIError) in
                let id = try input.id()
                let environment = try await tracked { () throws(TrackerError) in try input.tracker.environment(id: id) }
                return Reply.json(for: input) { $0.environment(environment) }
            },
            Route(.patch, "/environments/{id}") { input throws(APIError) in
                let id = try input.id()
                let patch = try EnvironmentPatch.validate(try await input.jsonObject()).orReject()
                let environment = try await tracked { () throws(TrackerError) in try await input.tracker.updateEnvironment(id: id, patch) }
                return Reply.json { $0.environment(environment) }
            },
            Route(.delete, "/environments/{id}") { input throws(APIError) in
                let id = try input.id()
                try await tracked { () throws(TrackerError) in try await input.tracker.deleteEnvironment(id: id) }
                return Reply.noContent
            },
        ]
    }

    // MARK: Queries (§4)

    private var queryRoutes: [Route] {
        let (stateAnswers, deploymentPages, eventPages) = (self.stateAnswers, self.deploymentPages, self.eventPages)
        return [
            Route(.get, "/versions") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let query = VersionQuery(product: reader.text("product"), scmSha: reader.text("scm_sha"),
                                         ready: reader.bool("ready"))
                let page = reader.page()
                try reader.check()
                return Reply.list(await input.tracker.versions(query, page), for: input) { $0.version($1) }
            },
            Route(.get, "/versions/{id}") { input throws(APIError) in
                let id = try input.id()
                var reader = QueryReader(input.query)
                let instant = reader.pastInstant("at", now: input.tracker.now())
                try reader.check()
                let version = try await tracked { () throws(TrackerError) in try await input.tracker.version(id: id, asOf: instant) }
                return Reply.json(for: input) { $0.version(version) }
            },
            Route(.get, "/builds") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let query = BuildQuery(product: reader.text("product"), version: reader.text("version"), status: reader.status())
                let page = reader.page()
                try reader.check()
                return Reply.list(await input.tracker.builds(query, page), for: input) { $0.build($1) }
            },
            Route(.get, "/builds/{id}") { input throws(APIError) in
                let id = try input.id()
                let build = try await tracked { () throws(TrackerError) in try await input.tracker.build(id: id) }
                return Reply.json(for: input) { $0.build(build) }
            },
            Route(.get, "/deployments") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let query = DeploymentQuery(
                    product: reader.text("product"), environment: reader.text("environment"),
                    version: reader.text("version"), status: reader.status(),
                    since: reader.timestamp("since"), until: reader.timestamp("until"))
                let page = reader.page()
                try reader.check()
                let answer = await deploymentPages.answer(for: PageKey(query: query, page: page),
                                                          at: input.tracker.changeSequence) {
                    Reply.encodePage(await input.tracker.deployments(query, page)) { $0.deployment($1) }
                }
                return Reply.list(answer, for: input)
            },
            Route(.get, "/deployments/{id}") { input throws(APIError) in
                let id = try input.id()
                let deployment = try await tracked { () throws(TrackerError) in try await input.tracker.deployment(id: id) }
                return Reply.json(for: input) { $0.deployment(deployment) }
            },
            Route(.get, "/state") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let query = StateQuery(product: reader.text("product"), environment: reader.text("environment"),
                                       type: reader.environmentType(), at: reader.pastInstant("at", now: input.tracker.now()))
                try reader.check()
                // The matrix of every product is the costliest answer and dashboards poll it:
                // reuse the encoded answer while no change has been journaled since.
                let body = await stateAnswers.answer(for: query, at: input.tracker.changeSequence) {
                    let matrix = await input.tracker.stateMatrix(query)
                    return Reply.encodeBody { $0.stateMatrix(matrix) }
                }
                return body.response(to: input.request)
            },
            Route(.get, "/events") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let type = reader.eventType()
                let query = EventQuery(product: reader.text("product"), environment: reader.text("environment"),
                                       kind: type?.kind, status: type?.status, since: reader.timestamp("since"),
                                       refused: type?.refused)
                let page = reader.page()
                try reader.check()
                let answer = await eventPages.answer(for: PageKey(query: query, page: page), at: input.tracker.changeSequence) {
                    Reply.encodePage(await input.tracker.events(query, page)) { $0.event($1) }
                }
                return Reply.list(answer, for: input)
            },
        ]
    }

    // MARK: Insights (§7)

    private var insightRoutes: [Route] {
        [
            Route(.get, "/insights/builds") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let (product, branch) = (reader.text("product"), reader.text("branch"))
                let window = reader.insightsWindow(now: input.tracker.now())
                try reader.check()
                guard let window else { throw APIError.internalError }  // nil only with an error, thrown above
                let query = BuildInsightsQuery(product: product, branch: branch, window: window)
                let insights = try await tracked { () throws(TrackerError) in try await input.tracker.buildInsights(query) }
                return Reply.json(for: input) { $0.buildInsights(insights) }
            },
            Route(.get, "/insights/dora") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let product = reader.text("product")
                let names = input.query.values("environment")
                let type = reader.environmentType("environment_type") ?? .production
                let window = reader.insightsWindow(now: input.tracker.now())
                try reader.check()
                guard let window else { throw APIError.internalError }  // nil only with an error, thrown above
                let environments = try await tracked { () throws(TrackerError) in
                    try input.tracker.environments(named: names, orType: type)
                }
                let query = DoraQuery(product: product, environmentIDs: Set(environments.map(\.id)), window: window)
                let insights = try await tracked { () throws(TrackerError) in try await input.tracker.dora(query) }
                let shown = environments.map(\.name).sorted()
                return Reply.json(for: input) { $0.dora(insights, environments: shown) }
            },
        ]
    }

    // MARK: API keys (§5)

    private var keyRoutes: [Route] {
        [
            Route(.get, "/api-keys", scope: .admin) { input throws(APIError) in
                var reader = QueryReader(input.query)
                let page = reader.page()
                try reader.check()
                return Reply.list(input.tracker.keys(page), for: input) { $0.apiKey($1) }
            },
            Route(.post, "/api-keys") { input throws(APIError) in
                let new = try NewKey.validate(try await input.jsonObject()).orReject()
                let issued = try await tracked { () throws(TrackerError) in
                    try await input.tracker.issueKey(name: new.name, description: new.description, scopes: new.scopes,
                                                     account: input.backend.account)
                }
                return Reply.json(.created) { $0.apiKey(issued.key, token: issued.token) }
            },
            Route(.get, "/api-keys/{id}", scope: .admin) { input throws(APIError) in
                let id = try input.id()
                let key = try await tracked { () throws(TrackerError) in try input.tracker.key(id: id) }
                return Reply.json(for: input) { $0.apiKey(key) }
            },
            Route(.delete, "/api-keys/{id}") { input throws(APIError) in
                let id = try input.id()
                _ = try await tracked { () throws(TrackerError) in try await input.tracker.revokeKey(id: id) }
                return Reply.noContent
            },
        ]
    }

    // MARK: Operations

    private var adminRoutes: [Route] {
        [
            // Writes a snapshot now; `versioner snapshot create --server URL` calls this.
            Route(.post, "/admin/snapshots") { input throws(APIError) in
                guard let snapshots = input.backend.snapshots else {
                    throw APIError(.conflict, "This server keeps no files (in-memory journal): there is nothing to snapshot")
                }
                let info: SnapshotInfo
                do {
                    info = try await snapshots.takeSnapshot()
                } catch {
                    throw APIError(.internalServerError, "Snapshot failed: \(error)")
                }
                return Reply.json(.created) { writer in
                    writer.beginObject()
                    writer.field("path", info.path)
                    writer.key("sequence")
                    writer.int(Int(info.sequence))
                    writer.key("bytes")
                    writer.int(info.fileBytes)
                    writer.key("uncompressed_bytes")
                    writer.int(Int(info.header.uncompressedLength))
                    writer.endObject()
                }
            },
        ]
    }
}
