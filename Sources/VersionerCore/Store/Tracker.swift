/// The deployment tracker: products spread over shard actors, the shared catalog, and the journal.
///
/// Every write returns only after its change is durable in the journal. Reads that span products
/// ask all shards at once and merge their answers.
public final class Tracker: Sendable {
    let shards: [Shard]
    let services: ShardServices
    /// Accepted events as they become durable, for live consumers.
    public let feed = EventFeed()
    /// The requests whose retries are answered again (docs/API.md §8).
    public var requests: RequestLedger { services.requests }
    /// The deliveries owed to webhooks (docs/API.md §8).
    public var outbox: WebhookOutbox { services.outbox }

    /// - Parameters:
    ///   - shardCount: how many shard actors hold the products (at least 1).
    ///   - journal: where accepted changes go before they are answered.
    ///   - state: the state to start from (recovered from a snapshot and the journal).
    public init(shardCount: Int, journal: any Journal, clock: any WallClock = SystemWallClock(),
                ids: IDGenerator? = nil, state: TrackerState = TrackerState()) {
        let count = max(1, shardCount)
        var catalog = state.catalog
        var byShard = Array(repeating: [EntityID: ProductState](), count: count)
        for (id, product) in state.products {
            let shard = Self.homeShard(of: product.product.name, count: count)
            byShard[shard][id] = product
            catalog.place(product.product, onShard: shard)
        }
        // Ids issued from now on sort after every id already held, even if the clock went back.
        let generator = ids ?? IDGenerator(clock: clock, after: state.newestID)
        let services = ShardServices(catalog: Catalog(catalog), journal: journal, ids: generator, clock: clock,
                                     requests: RequestLedger(state.requests, now: clock.now()),
                                     outbox: WebhookOutbox(state.outbox))
        self.services = services
        shards = byShard.enumerated().map {
            Shard(index: $0.offset, services: services, products: $0.element)
        }
    }

    /// The sequence number of the last change journaled. Every change is applied in the same step
    /// it is journaled, so an answer computed after reading this reflects at least that change:
    /// an answer cached with it stays true while this number is unchanged.
    public var changeSequence: UInt64 { services.journal.lastSequence }

    /// A consistent copy of the whole state for a snapshot, taken without stopping writes: each
    /// part (the catalog, each shard) is copied in one step with the sequence it reflects.
    /// Catalog changes are journaled under the catalog's lock, so under it every one journaled so
    /// far is applied.
    public func capture() async -> StateCapture {
        let journal = services.journal
        let (catalog, catalogSequence) = services.catalog.withLock { ($0, journal.lastSequence) }
        var parts: [(sequence: UInt64, products: [EntityID: ProductState])] = []
        for shard in shards {
            parts.append(await shard.capture())
        }
        // After the shards: every request an event there noted is in it.
        let requests = services.requests.withState { $0 }
        let outbox = services.outbox.withState { $0 }
        return StateCapture(catalog: catalog, catalogSequence: catalogSequence, shards: parts, requests: requests, outbox: outbox)
    }

    /// The catalog now and the list of products, each product to be copied only when it is
    /// written out (``LiveCapture``): what the server's snapshots use.
    public func liveCapture() async -> LiveCapture {
        let journal = services.journal
        let (catalog, catalogSequence) = services.catalog.withLock { ($0, journal.lastSequence) }
        var products: [(id: EntityID, shard: Int)] = []
        for (index, shard) in shards.enumerated() {
            products += await shard.productIDs().map { ($0, index) }
        }
        products.sort { $0.id < $1.id }
        return LiveCapture(catalog: catalog, catalogSequence: catalogSequence, products: products, shards: shards,
                           requests: services.requests, outbox: services.outbox, clock: services.clock)
    }

    /// Applies a change that another node journaled: this node follows a shared journal rather
    /// than writing it. Changes must come in journal order, one at a time. `applied` is called in
    /// the same step as the change is applied (under the catalog's lock, or in the shard's turn),
    /// so that a snapshot taken meanwhile never holds a change without its sequence.
    public func follow(_ change: StateChange, sequence: UInt64, applied: @escaping @Sendable () -> Void) async {
        let shardIndex: Int?
        switch change {
        case .environmentSaved(let environment):
            services.ids.advance(past: environment.id)
            services.catalog.withLock { catalog in
                catalog.apply(environment)
                applied()
            }
            return
        case .apiKeySaved(let key):
            services.ids.advance(past: key.id)
            services.catalog.withLock { catalog in
                catalog.apply(key)
                applied()
            }
            return
        case .ruleSaved(let rule):
            services.ids.advance(past: rule.id)
            services.catalog.withLock { catalog in
                catalog.apply(rule)
                applied()
            }
            return
        case .ruleDeleted(let id):
            services.catalog.withLock { catalog in
                catalog.removeRule(id)
                applied()
            }
            return
        case .requestAnswered(let answered):
            services.requests.withState { $0.apply(answered) }
            applied()
            return
        case .webhookSaved(let webhook):
            services.ids.advance(past: webhook.id)
            services.catalog.withLock { catalog in
                catalog.apply(webhook)
                applied()
            }
            return
        case .webhookDeleted(let id):
            services.catalog.withLock { catalog in
                catalog.removeWebhook(id)
                services.outbox.apply(change)
                applied()
            }
            return
        case .deliveriesQueued:
            owe(change)
            applied()
            return
        case .deliveryFinished(let outcome):
            services.ids.advance(past: outcome.deliveryID)
            services.outbox.apply(change)
            applied()
            return
        case .approvalSaved(let approval):
            services.ids.advance(past: approval.id)
            shardIndex = services.catalog.withLock { $0.shard(forProductID: approval.productID) }
        case .approvalDeleted(_, let productID):
            shardIndex = services.catalog.withLock { $0.shard(forProductID: productID) }
        case .environmentDeleted(let id):
            services.catalog.withLock { catalog in
                catalog.removeEnvironment(id)
                applied()
            }
            // Idempotent, like the writer's own: each shard drops the deployments to it.
            for shard in shards { await shard.removeDeployments(environmentID: id) }
            return
        case .deploymentEvent(let event):
            services.ids.advance(past: event.eventID)
            // Owed before the event is applied, as the writer owes them in the step it journals the event.
            owe(change)
            shardIndex = services.catalog.withLock { $0.shard(forProductID: event.productID) }
                ?? Self.homeShard(of: event.input.productName, count: shards.count)
        case .buildEvent(let event):
            services.ids.advance(past: event.eventID)
            owe(change)
            shardIndex = services.catalog.withLock { $0.shard(forProductID: event.productID) }
                ?? Self.homeShard(of: event.input.productName, count: shards.count)
        case .productSaved(let product):
            services.ids.advance(past: product.id)
            shardIndex = services.catalog.withLock { $0.shard(forProductID: product.id) }
                ?? Self.homeShard(of: product.name, count: shards.count)
        case .productDeleted(let id):
            shardIndex = services.catalog.withLock { $0.shard(forProductID: id) }
        }
        guard let shardIndex else {
            applied()
            return
        }
        if let event = await shards[shardIndex].follow(change, applied: applied) {
            feed.publish(EventFeed.Item(sequence: sequence, event: event))
        }
    }

    /// Owes the deliveries a followed change carries.
    private func owe(_ change: StateChange) {
        let deliveries = change.owedDeliveries
        guard !deliveries.isEmpty else { return }
        for delivery in deliveries { services.ids.advance(past: delivery.id) }
        services.outbox.apply(.deliveriesQueued(deliveries))
    }

    /// The shard a new product of this name goes to: a stable hash (FNV-1a) of the name, so the
    /// same name lands on the same shard in every process.
    static func homeShard(of name: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }

    func shard(forProductNamed name: String) -> Int {
        services.catalog.withLock { $0.shard(forProductNamed: name) } ?? Self.homeShard(of: name, count: shards.count)
    }

    func waitDurable(_ sequence: UInt64) async throws(TrackerError) {
        do {
            try await services.journal.waitDurable(sequence)
        } catch {
            throw .journal(error)
        }
    }

    /// Asks the shard that should hold the product, following it if a rename moved its name
    /// elsewhere, and returns once the change is durable.
    private func route<T: Sendable>(
        _ productName: String,
        _ write: @Sendable (isolated Shard) throws(TrackerError) -> Shard.Routed<(sequence: UInt64, answer: T)>
    ) async throws(TrackerError) -> T {
        let result = try await routeJournaled(productName, write)
        try await waitDurable(result.sequence)
        return result.answer
    }

    /// ``route(_:_:)`` without waiting: the change is journaled, not yet durable.
    func routeJournaled<T: Sendable>(
        _ productName: String,
        _ write: @Sendable (isolated Shard) throws(TrackerError) -> Shard.Routed<(sequence: UInt64, answer: T)>
    ) async throws(TrackerError) -> (sequence: UInt64, answer: T) {
        var target = shard(forProductNamed: productName)
        for _ in 0...shards.count {
            switch try await shards[target].perform(write) {
            case .done(let result):
                return result
            case .elsewhere(let shard):
                target = shard
            }
        }
        throw .conflict("Product \(productName) is being renamed; try again")
    }

    // MARK: Events

    /// Records a deployment event (docs/API.md §3): creates what is missing, updates the deployment it
    /// correlates to or starts a new one.
    ///
    /// An event that would start a deployment is first evaluated against the deployment rules,
    /// in the same shard turn (docs/API.md §7); `skipPreflight` skips those that allow it. A
    /// refusal is kept in the event log and thrown as ``TrackerError/blocked(_:eventID:)``.
    ///
    /// With `request`, the event is journaled with it: a retry of the request is recognised
    /// (``RequestLedger``) even after a crash right after the event became durable.
    public func record(_ input: DeploymentEventInput, skipPreflight: Bool = false,
                       request: RequestTag? = nil) async throws(TrackerError) -> Recorded<DeploymentView> {
        let outcome = try await route(input.productName) { shard throws(TrackerError) in
            try shard.record(input, skipPreflight: skipPreflight, request: request)
        }
        switch outcome {
        case .success(let recorded):
            feed.publish(EventFeed.Item(sequence: recorded.sequence, event: recorded.event))
            return recorded
        case .failure(let refused):
            feed.publish(EventFeed.Item(sequence: refused.sequence, event: refused.event))
            throw .blocked(refused.verdict, eventID: refused.event.event.id)
        }
    }

    /// Records a build event (docs/API.md §3). Refuses a SHA that differs from the version's.
    public func record(_ input: BuildEventInput, request: RequestTag? = nil) async throws(TrackerError) -> Recorded<BuildView> {
        let recorded = try await route(input.productName) { shard throws(TrackerError) in try shard.record(input, request: request) }
        feed.publish(EventFeed.Item(sequence: recorded.sequence, event: recorded.event))
        return recorded
    }

    /// Journals the answer to a request that came with an `Idempotency-Key`, to be replayed
    /// byte for byte to its retries; returns once it is durable.
    public func keep(_ answer: StoredAnswer, for key: RequestKey, digest: [UInt8]) async throws(TrackerError) {
        let journal = services.journal
        let answered = AnsweredRequest(key: key, entry: RequestEntry(digest: digest, acceptedAt: services.clock.now(), answer: answer))
        let result = services.requests.withState { state in
            journal.appending(.requestAnswered(answered)).map { sequence in
                state.apply(answered)
                return sequence
            }
        }
        switch result {
        case .success(let sequence): try await waitDurable(sequence)
        case .failure(let error): throw .journal(error)
        }
    }

    // MARK: Products

    public func createProduct(_ new: NewProduct) async throws(TrackerError) -> Product {
        let product = Product(id: services.ids.next(), name: new.name, description: new.description,
                              extraMetadata: new.extraMetadata, createdAt: services.clock.now())
        let target = Self.homeShard(of: new.name, count: shards.count)
        let sequence = try await shards[target].perform { shard throws(TrackerError) in try shard.create(product) }
        try await waitDurable(sequence)
        return product
    }

    public func updateProduct(id: EntityID, _ patch: ProductPatch) async throws(TrackerError) -> Product {
        guard let target = services.catalog.withLock({ $0.shard(forProductID: id) }) else {
            throw .notFound("Product not found")
        }
        let result = try await shards[target].perform { shard throws(TrackerError) in try shard.update(productID: id, patch) }
        try await waitDurable(result.sequence)
        return result.product
    }

    public func deleteProduct(id: EntityID) async throws(TrackerError) {
        guard let target = services.catalog.withLock({ $0.shard(forProductID: id) }) else {
            throw .notFound("Product not found")
        }
        let sequence = try await shards[target].perform { shard throws(TrackerError) in try shard.delete(productID: id) }
        try await waitDurable(sequence)
    }

    public func product(id: EntityID) async throws(TrackerError) -> Product {
        guard let target = services.catalog.withLock({ $0.shard(forProductID: id) }),
              let product = await shards[target].read({ $0.products[id]?.product })
        else { throw .notFound("Product not found") }
        return product
    }

    public func products(_ page: PageRequest) async -> Page<Product> {
        let candidates = await gather { contents in
            page.newest(contents.products.values.map(\.product).sorted { $0.id < $1.id }, id: \.id) { _ in true }
        }
        return page.page(candidates.flatMap { $0 }, id: \.id)
    }

    // MARK: Environments

    public func environments(type: EnvironmentType?, _ page: PageRequest) -> Page<Environment> {
        let all = services.catalog.snapshot.environments.values.filter { type == nil || $0.type == type }
        return page.page(all.filter { page.admits($0.id) }, id: \.id)
    }

    public func environment(id: EntityID) throws(TrackerError) -> Environment {
        guard let environment = services.catalog.snapshot.environments[id] else { throw .notFound("Environment not found") }
        return environment
    }

    public func updateEnvironment(id: EntityID, _ patch: EnvironmentPatch) async throws(TrackerError) -> Environment {
        let now = services.clock.now()
        let result: Result<(UInt64, Environment, String), TrackerError> = services.catalog.withLock { catalog in
            guard let old = catalog.environments[id] else { return .failure(.notFound("Environment not found")) }
            var environment = patch.applied(to: old)
            environment.updatedAt = max(now, old.updatedAt)
            if environment.name != old.name, catalog.environment(named: environment.name) != nil {
                return .failure(.conflict("Environment \(environment.name) already exists"))
            }
            return services.journal.appending(.environmentSaved(environment))
                .flatMap { sequence in
                    catalog.apply(environment)
                    guard environment.name != old.name else { return .success((sequence, environment, old.name)) }
                    return Self.journalRuleChanges(in: &catalog, journal: services.journal) {
                        $0.renaming(old.name, to: environment.name, ofEnvironment: true, at: environment.updatedAt)
                    }.map { ($0 ?? sequence, environment, old.name) }
                }
                .mapError { .journal($0) }
        }
        let (sequence, environment, oldName) = try result.get()
        try await waitDurable(sequence)
        if environment.name != oldName { try await moveApprovals(ofEnvironment: oldName, to: environment.name) }
        return environment
    }

    /// Deletes an environment, every deployment to it and every approval for it; the events stay
    /// in the audit log.
    public func deleteEnvironment(id: EntityID) async throws(TrackerError) {
        let now = services.clock.now()
        let result: Result<(UInt64, String), TrackerError> = services.catalog.withLock { catalog in
            guard let old = catalog.environments[id] else { return .failure(.notFound("Environment not found")) }
            return services.journal.appending(.environmentDeleted(id))
                .flatMap { sequence in
                    catalog.removeEnvironment(id)
                    return Self.journalRuleChanges(in: &catalog, journal: services.journal) {
                        $0.removing(name: old.name, ofEnvironment: true, at: now)
                    }.map { ($0 ?? sequence, old.name) }
                }
                .mapError { .journal($0) }
        }
        let (sequence, oldName) = try result.get()
        await withTaskGroup(of: Void.self) { group in
            for shard in shards {
                group.addTask { await shard.removeDeployments(environmentID: id) }
            }
        }
        try await waitDurable(sequence)
        try await moveApprovals(ofEnvironment: oldName, to: nil)
    }

    // MARK: API keys

    /// Makes a new key and saves its hash; the returned token is the only copy of the secret.
    public func issueKey(name: String, description: String?, scopes: [Scope], account: String) async throws(TrackerError) -> IssuedKey {
        let issued = APIKeys.issue(id: services.ids.next(), name: name, description: description, scopes: scopes,
                                   account: account, at: services.clock.now())
        try await save(issued.key)
        return issued
    }

    /// Revokes a key: from the next request on, it is refused.
    public func revokeKey(id: EntityID) async throws(TrackerError) -> APIKey {
        let now = services.clock.now()
        guard var key = services.catalog.withLock({ $0.keys[id] }) else { throw .notFound("API key not found") }
        if key.revokedAt == nil {
            key.revokedAt = now
            try await save(key)
        }
        return key
    }

    private func save(_ key: APIKey) async throws(TrackerError) {
        let result: Result<UInt64, JournalError> = services.catalog.withLock { catalog in
            services.journal.appending(.apiKeySaved(key)).map { sequence in
                catalog.apply(key)
                return sequence
            }
        }
        switch result {
        case .success(let sequence): try await waitDurable(sequence)
        case .failure(let error): throw .journal(error)
        }
    }

    /// The key with this public id (`sk_<account>_<key id>_…`), revoked or not.
    public func key(publicID: String) -> APIKey? {
        services.catalog.withLock { $0.key(publicID: publicID) }
    }

    public func key(id: EntityID) throws(TrackerError) -> APIKey {
        guard let key = services.catalog.withLock({ $0.keys[id] }) else { throw .notFound("API key not found") }
        return key
    }

    public func keys(_ page: PageRequest) -> Page<APIKey> {
        let all = services.catalog.withLock { Array($0.keys.values) }
        return page.page(all.filter { page.admits($0.id) }, id: \.id)
    }

    /// Whether any key exists (revoked ones included).
    public var hasKeys: Bool { services.catalog.withLock { !$0.keys.isEmpty } }

    /// Records that a key was used. Coalesced: the journal gets at most one such change per key
    /// a minute, and nobody waits for it.
    public func noteUse(of keyID: EntityID) {
        let now = services.clock.now()
        services.catalog.withLock { catalog in
            guard var key = catalog.keys[keyID] else { return }
            if let last = key.lastUsedAt, now.microseconds - last.microseconds < 60_000_000 { return }
            key.lastUsedAt = now
            if case .success = services.journal.appending(.apiKeySaved(key)) { catalog.apply(key) }
        }
    }

    // MARK: Versions and builds

    public func versions(_ query: VersionQuery, _ page: PageRequest) async -> Page<VersionView> {
        let candidates = await gather(product: query.product) { contents in
            let states = contents.products(named: query.product)
            let sources = states.map { state in AscendingSource(query.scmSha.map { state.versions(withSha: $0) } ?? state.versions) }
            let matches: (Version) -> Bool = { version in
                guard let wanted = query.ready, let state = contents.products[version.productID] else { return true }
                return Readiness(builds: state.builds(ofVersion: version.id)).ready == wanted
            }
            return page.newest(merging: sources, id: \.id, where: matches).map { contents.view($0.element, in: states[$0.source]) }
        }
        return page.page(candidates.flatMap { $0 }, id: \.version.id)
    }

    /// Every version named `name`, of any product (what a person searching for a version means).
    public func versions(named name: String) async -> [VersionView] {
        await gather { contents in
            contents.products.values.compactMap { state in state.version(named: name).map { contents.view($0, in: state) } }
        }.flatMap { $0 }.sorted { ($0.productName, $0.version.id) < ($1.productName, $1.version.id) }
    }

    /// The product of that name, if any.
    public func product(named name: String) async -> Product? {
        await gather(product: name) { contents in contents.products(named: name).first?.product }.compactMap { $0 }.first
    }

    /// The version with its builds and where it runs; as of `instant` when given (docs/API.md
    /// §10): a version first recorded after it is not found.
    public func version(id: EntityID, asOf instant: Timestamp? = nil) async throws(TrackerError) -> VersionView {
        let found = await gather { contents in
            contents.products.values.lazy.compactMap { state in
                state.version(id: id).flatMap { version in
                    guard let instant else { return contents.view(version, in: state) }
                    return version.createdAt <= instant ? contents.view(version, in: state, asOf: instant) : nil
                }
            }.first
        }
        guard let view = found.compactMap({ $0 }).first else { throw .notFound("Version not found") }
        return view
    }

    public func builds(_ query: BuildQuery, _ page: PageRequest) async -> Page<BuildView> {
        let candidates = await gather(product: query.product) { contents in
            let states = contents.products(named: query.product)
            let sources = states.map { state -> AscendingSource<Build> in
                guard let name = query.version else { return AscendingSource(state.builds) }
                return AscendingSource(state.version(named: name).map { state.builds(ofVersion: $0.id) } ?? [])
            }
            return page.newest(merging: sources, id: \.id) { query.status == nil || $0.status == query.status }
                .map { contents.view($0.element, in: states[$0.source]) }
        }
        return page.page(candidates.flatMap { $0 }, id: \.build.id)
    }

    public func build(id: EntityID) async throws(TrackerError) -> BuildView {
        let found = await gather { contents in
            contents.products.values.lazy.compactMap { state in state.build(id: id).map { contents.view($0, in: state) } }.first
        }
        guard let view = found.compactMap({ $0 }).first else { throw .notFound("Build not found") }
        return view
    }

    // MARK: Deployments

    /// Deployments newest first by their own time (`deployed_at`, then id), not by arrival: a
    /// deployment imported late sits where it happened. The cursor is the previous page's last
    /// deployment, placed by its time.
    public func deployments(_ query: DeploymentQuery, _ page: PageRequest) async -> Page<DeploymentView> {
        var after: TimeKey?
        if let cursor = page.cursor { after = await timeKey(ofDeployment: cursor) }
        let candidates = await gather(product: query.product) { [after] contents in
            var environmentID: EntityID?
            if let name = query.environment {
                guard let environment = contents.catalog.environment(named: name) else { return [DeploymentView]() }
                environmentID = environment.id
            }
            var states: [ProductState] = []
            var versionIDs: [EntityID?] = []
            for state in contents.products(named: query.product) {
                if let name = query.version {
                    guard let version = state.version(named: name) else { continue }
                    versionIDs.append(version.id)
                } else {
                    versionIDs.append(nil)
                }
                states.append(state)
            }
            // Each product's timeline (of the environment, when one is named).
            let sources = states.map { state -> AscendingSource<Deployment> in
                let (deployments, timeline) = (state.deployments, state.timeline(environmentID: environmentID))
                return AscendingSource(count: timeline.count) { deployments[Int(timeline[$0])] }
            }
            let matches: (Deployment) -> Bool = { deployment in
                (query.version == nil || versionIDs.contains(deployment.versionID))
                    && (query.status == nil || deployment.status == query.status)
                    && (query.since.map { deployment.deployedAt >= $0 } ?? true)
                    && (query.until.map { deployment.deployedAt <= $0 } ?? true)
            }
            return page.newest(merging: sources, key: ProductState.timeKey, before: after, where: matches)
                .map { contents.view($0.element, in: states[$0.source]) }
        }
        return page.page(candidates.flatMap { $0 }, key: { ProductState.timeKey($0.deployment) }, id: \.deployment.id)
    }

    /// Where a deployment sits in history lists; for one deleted since, where its id's own time
    /// (UUIDv7: milliseconds since 1970) puts it.
    private func timeKey(ofDeployment id: EntityID) async -> TimeKey {
        let found = await gather { contents in
            contents.products.values.lazy.compactMap { $0.deployment(id: id).map(ProductState.timeKey) }.first
        }
        return found.compactMap { $0 }.first ?? TimeKey(time: Timestamp(microseconds: Int64(id.high >> 16) * 1000), id: id)
    }

    public func deployment(id: EntityID) async throws(TrackerError) -> DeploymentView {
        let found = await gather { contents in
            contents.products.values.lazy.compactMap { state in state.deployment(id: id).map { contents.view($0, in: state) } }.first
        }
        guard let view = found.compactMap({ $0 }).first else { throw .notFound("Deployment not found") }
        return view
    }

    // MARK: State matrix and events

    /// What is deployed where (`GET /state/`).
    public func stateMatrix(_ query: StateQuery) async -> StateMatrix {
        let shown = matrixEnvironments(query)
        let rows = await gather(product: query.product) { contents in
            contents.compactMapProducts(named: query.product) { Self.matrixCells(of: $0, shown: shown, asOf: query.at, in: contents) }
        }.flatMap { $0 }
        let used = Set(rows.lazy.flatMap { $0.cells.lazy.map(\.environment.id) })
        let environments = Self.columnOrder(shown.values.filter { used.contains($0.id) })
        return StateMatrix(environments: environments, products: Self.matrixRows(rows))
    }

    /// One page of the state matrix (what the dashboard shows): the products whose names
    /// contain `nameContains` (ignoring case), by name, `limit` of them from `offset`; the
    /// environments of all those products as its columns; and how many products there are.
    /// Only the page's rows are built, so a page costs little however many products there are.
    public func stateMatrixPage(_ query: StateQuery, nameContains: String?, offset: Int, limit: Int) async -> (matrix: StateMatrix, total: Int) {
        let shown = matrixEnvironments(query)
        let wanted = nameContains.map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        let parts = await gather(product: query.product) { contents in
            var candidates: [(name: String, id: EntityID)] = []
            var used: Set<EntityID> = []
            let products = contents.products
            for entry in contents.productNames.ordered {
                if let name = query.product, entry.name != name { continue }
                if let wanted, !entry.name.lowercased().contains(wanted) { continue }
                // By index, reading in place: a copy of each product's state would retain all it holds.
                guard let index = products.index(forKey: entry.id) else { continue }
                var listed = false
                for environmentID in products.values[index].slotEnvironmentIDs where shown[environmentID] != nil {
                    used.insert(environmentID)
                    listed = true
                }
                if listed { candidates.append(entry) }
            }
            return (candidates: candidates, used: used)
        }
        let candidates = Self.mergedByName(parts.map(\.candidates))
        let used = parts.reduce(into: Set<EntityID>()) { $0.formUnion($1.used) }
        let environments = Self.columnOrder(shown.values.filter { used.contains($0.id) })
        let page = Set(candidates.dropFirst(offset).prefix(limit).map(\.id))
        let rows = await gather { contents in
            page.compactMap { id in contents.products[id].flatMap { Self.matrixCells(of: $0, shown: shown, asOf: nil, in: contents) } }
        }.flatMap { $0 }
        return (StateMatrix(environments: environments, products: Self.matrixRows(rows)), candidates.count)
    }

    /// The shards' products, each shard's already by name, merged into one list by name.
    static func mergedByName(_ parts: [[(name: String, id: EntityID)]]) -> [(name: String, id: EntityID)] {
        var next = parts.map(\.startIndex)
        var merged: [(name: String, id: EntityID)] = []
        merged.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        while true {
            var first: Int?
            for part in parts.indices where next[part] < parts[part].endIndex {
                if let best = first, !ProductNames.precedes(parts[part][next[part]], parts[best][next[best]]) { continue }
                first = part
            }
            guard let first else { return merged }
            merged.append(parts[first][next[first]])
            next[first] += 1
        }
    }

    /// The environments a matrix query shows, by id.
    private func matrixEnvironments(_ query: StateQuery) -> [EntityID: Environment] {
        services.catalog.snapshot.environments.filter {
            (query.environment == nil || $0.value.name == query.environment) && (query.type == nil || $0.value.type == query.type)
        }
    }

    /// A product's cells in the environments shown, in column order; nil when it has none.
    /// As of `instant` when given (docs/API.md §10): only what was recorded by then.
    private static func matrixCells(of state: ProductState, shown: [EntityID: Environment], asOf instant: Timestamp?,
                                    in contents: ShardContents) -> (product: Product, cells: [(environment: Environment, cell: StateCell)])? {
        var cells: [(environment: Environment, cell: StateCell)] = []
        func add(_ environmentID: EntityID, current: Deployment?, latest: Deployment) {
            guard let environment = shown[environmentID] else { return }
            cells.append((environment, StateCell(current: current.map { contents.view($0, in: state) },
                                                 latest: contents.view(latest, in: state))))
        }
        if let instant {
            state.forEachSlot(asOf: instant, where: { shown[$0] != nil }, add)
        } else {
            state.forEachSlot(add)
        }
        guard !cells.isEmpty else { return nil }
        cells.sort { columnPrecedes($0.environment, $1.environment) }
        return (state.product, cells)
    }

    /// Columns from dev to production, then the others; by name within a type.
    private static func columnOrder(_ environments: some Sequence<Environment>) -> [Environment] {
        environments.sorted(by: columnPrecedes)
    }

    private static func columnPrecedes(_ a: Environment, _ b: Environment) -> Bool {
        (a.type.displayRank, a.name, a.id) < (b.type.displayRank, b.name, b.id)
    }

    /// Rows by product name, each with its cells (in column order) and its drift.
    private static func matrixRows(_ rows: [(product: Product, cells: [(environment: Environment, cell: StateCell)])]) -> [ProductStateRow] {
        var rows = rows
        rows.sort { ($0.product.name, $0.product.id) < ($1.product.name, $1.product.id) }
        return rows.map { product, cells in
            var first: EntityID?
            var drift = false
            for (_, cell) in cells {
                guard let version = cell.current?.deployment.versionID else { continue }
                if let first, first != version { drift = true; break }
                first = version
            }
            return ProductStateRow(product: product, cells: cells, drift: drift)
        }
    }

    /// The audit log of accepted events, newest first.
    public func events(_ query: EventQuery, _ page: PageRequest) async -> Page<EventView> {
        let candidates = await gather(product: query.product) { contents in
            let states = contents.products(named: query.product)
            let sources = states.map { AscendingSource($0.events) }
            return page.newest(merging: sources, id: \.id, where: query.matches).map { found in
                guard case .deployment(let accepted) = found.element else { return EventView(event: found.element, isRollback: nil) }
                let state = states[found.source]
                return EventView(event: found.element, isRollback: state.deployment(id: accepted.deploymentID).map(state.isRollback))
            }
        }
        return page.page(candidates.flatMap { $0 }, id: \.event.id)
    }

    // MARK: Insights (docs/API.md §7)

    /// The time now, by the tracker's clock (the default end of an insights window).
    public func now() -> Timestamp { services.clock.now() }

    /// Build tracking: each shard counts its products' builds, and the counts are merged.
    public func buildInsights(_ query: BuildInsightsQuery) async throws(TrackerError) -> BuildInsights {
        try await tally(product: query.product) { BuildInsights(query: query) }
    }

    /// Fans a per-product tally out to the shards and merges their parts; a named product that
    /// no shard holds is a 404.
    private func tally<T: ProductTally>(product: String?, _ make: @escaping @Sendable () -> T) async throws(TrackerError) -> T {
        let parts = await gather(product: product) { contents in
            var part = make()
            let states = contents.products(named: product)
            for state in states { part.count(state) }
            return (found: !states.isEmpty, part: part)
        }
        if product != nil, !parts.contains(where: \.found) { throw .notFound("Product not found") }
        var result = make()
        for part in parts { result.add(part.part) }
        result.finish()
        return result
    }

    /// The environments a DORA query covers: those named, else every environment of `type`.
    public func environments(named names: [String], orType type: EnvironmentType) throws(TrackerError) -> [Environment] {
        let catalog = services.catalog.snapshot
        guard !names.isEmpty else { return catalog.environments.values.filter { $0.type == type } }
        var found: [Environment] = []
        for name in names {
            guard let environment = catalog.environment(named: name) else { throw .notFound("Environment not found: \(name)") }
            found.append(environment)
        }
        return found
    }

    /// The DORA figures: each shard works out its products' samples, and the samples are merged.
    public func dora(_ query: DoraQuery) async throws(TrackerError) -> DoraInsights {
        try await tally(product: query.product) { DoraInsights(query: query) }
    }

    /// How much the tracker holds, for `/metrics`.
    public func counts() async -> HeldCounts {
        let parts = await gather { contents in
            contents.products.values.reduce(into: HeldCounts()) { counts, state in
                counts.products += 1
                counts.versions += state.versions.count
                counts.builds += state.builds.count
                counts.deployments += state.deployments.count
                counts.events += state.events.count
            }
        }
        return parts.reduce(into: HeldCounts()) { total, part in
            total.products += part.products
            total.versions += part.versions
            total.builds += part.builds
            total.deployments += part.deployments
            total.events += part.events
        }
    }

    /// Asks every shard at once; or, when the query names a product, only the shard that holds
    /// a product of that name (the others cannot contribute, and a hop to each costs).
    func gather<T: Sendable>(product: String? = nil, _ body: @escaping @Sendable (ShardContents) -> T) async -> [T] {
        if let product {
            return [await shards[shard(forProductNamed: product)].read(body)]
        }
        return await withTaskGroup(of: T.self) { group in
            for shard in shards {
                group.addTask { await shard.read(body) }
            }
            var results: [T] = []
            results.reserveCapacity(shards.count)
            for await result in group { results.append(result) }
            return results
        }
    }
}

extension Shard {
    /// Runs a write inside this shard's turn.
    func perform<T: Sendable>(_ body: @Sendable (isolated Shard) throws(TrackerError) -> T) throws(TrackerError) -> T {
        try body(self)
    }
}

/// How many of each kind of thing the tracker holds.
public struct HeldCounts: Hashable, Sendable {
    public var products = 0
    public var versions = 0
    public var builds = 0
    public var deployments = 0
    public var events = 0
}
