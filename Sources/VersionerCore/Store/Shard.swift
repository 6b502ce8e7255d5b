/// Why the tracker refused a change or could not find something.
public enum TrackerError: Error, Hashable, Sendable {
    /// Nothing with that id: the message names the kind (`Product not found`).
    case notFound(String)
    /// The change conflicts with what exists (a name taken); the message says how.
    case conflict(String)
    /// A build event gave a version a SHA other than the one it has (docs/API.md §3).
    case shaConflict(version: String)
    /// The journal could not take the change: nothing was acknowledged.
    case journal(JournalError)
    /// The request is invalid in a way only the tracker could tell (a rule patched into an invalid one).
    case invalid(ValidationFailure)
    /// A deployment rule refused the deployment; the refusal is in the event log as `eventID`.
    case blocked(RuleVerdict, eventID: EntityID)
}

/// A deployment event that a rule refused: the refusal as the event log keeps it.
struct RefusedDeployment: Error {
    var verdict: RuleVerdict
    var event: EventView
    var sequence: UInt64
}

/// What a shard needs from the rest of the tracker.
struct ShardServices: Sendable {
    let catalog: Catalog
    let journal: any Journal
    let ids: IDGenerator
    let clock: any WallClock
    let requests: RequestLedger
    let outbox: WebhookOutbox
}

/// Owns the products whose names hash to it, and changes them one actor turn at a time.
///
/// Every write validates against the current state, hands the change to the journal and applies
/// it inside one turn: there is no `await` between reading the state and changing it, so no
/// other write can slip in between (actor reentrancy).
actor Shard {
    /// The outcome of a write addressed to a product by name.
    enum Routed<T: Sendable>: Sendable {
        case done(T)
        /// Another shard holds the product of that name (it was renamed onto it): ask that one.
        case elsewhere(shard: Int)
    }

    /// How a write finds the product it names.
    private enum Claim {
        case existing(EntityID)
        /// A new product, its name now reserved for this shard in the catalog.
        case reserved(EntityID)
        case elsewhere(shard: Int)
    }

    let index: Int
    private let services: ShardServices
    var products: [EntityID: ProductState]
    private var productNames: ProductNames

    init(index: Int, services: ShardServices, products: [EntityID: ProductState] = [:]) {
        self.index = index
        self.services = services
        self.products = products
        productNames = ProductNames(products.lazy.map { (name: $0.value.product.name, id: $0.key) })
    }

    /// Runs a read inside this shard's turn.
    func read<T: Sendable>(_ body: @Sendable (ShardContents) -> T) -> T {
        body(ShardContents(products: products, productNames: productNames, catalog: services.catalog.snapshot))
    }

    // MARK: Events

    /// `history`: an imported event, which happened before and is not evaluated against the
    /// rules; `recordedAt`: when it was first recorded (an import's), else now.
    func record(_ input: DeploymentEventInput, skipPreflight: Bool, request: RequestTag?, history: Bool = false,
                recordedAt: Timestamp? = nil) throws(TrackerError)
        -> Routed<(sequence: UInt64, answer: Result<Recorded<DeploymentView>, RefusedDeployment>)> {
        let now = recordedAt ?? services.clock.now()
        let (productID, reserved): (EntityID, Bool)
        switch claim(input.productName, at: now) {
        case .existing(let id): (productID, reserved) = (id, false)
        case .reserved(let id): (productID, reserved) = (id, true)
        case .elsewhere(let shard): return .elsewhere(shard: shard)
        }
        do {
            let environment = try ensureEnvironment(named: input.environmentName, at: now)
            // Read in place: a copy of the product's state alive when the event is applied would
            // make the apply copy every array the product holds.
            let existingVersion = products[productID]?.version(named: input.version)?.id
            let versionID = existingVersion ?? services.ids.next()
            let correlated = existingVersion.flatMap {
                products[productID]?.correlatedDeployment(environmentID: environment.id, versionID: $0, invokeID: input.invokeID)
            }
            // Rules decide whether a deployment may start: only an event that would start one is evaluated.
            let preflight = !history && correlated == nil && (input.status == .pending || input.status == .started)
                ? evaluateRules(input, productID: productID, versionID: existingVersion, environment: environment, now: now,
                                skip: skipPreflight)
                : nil
            let record = preflight?.record(ids: services.ids.next)
            let deploymentID = correlated ?? services.ids.next()
            var event = AcceptedDeploymentEvent(
                eventID: services.ids.next(), recordedAt: now, productID: productID, versionID: versionID,
                environmentID: environment.id, deploymentID: deploymentID, input: input, preflight: record,
                // A refused start made no deployment: its retry is evaluated again.
                request: preflight?.blocking == nil ? request : nil)
            if !history { event.deliveries = deliveries(owedFor: .deployment(event)) }
            let sequence = try journal(.deploymentEvent(event))
            products.apply(.deploymentEvent(event), environmentExists: { _ in true })
            productNames[input.productName] = productID
            if let tag = event.request { services.requests.noteEvent(tag, subject: .deployment(deploymentID), at: now) }
            if let blocking = preflight?.blocking {
                return .done((sequence, .failure(RefusedDeployment(
                    verdict: blocking, event: EventView(event: .deployment(event), isRollback: nil), sequence: sequence))))
            }
            let applied = products[productID]!
            let deployment = applied.deployment(id: deploymentID)!
            let view = DeploymentView(deployment: deployment, productName: input.productName, version: input.version,
                                      environmentName: environment.name, isRollback: applied.isRollback(deployment),
                                      preflightSkipped: applied.skippedPreflight(deploymentID))
            var recorded = Recorded(subject: view, event: EventView(event: .deployment(event), isRollback: view.isRollback),
                                    sequence: sequence)
            // A clean pass answers as a server without rules would; a failure (report-only or
            // skipped) brings every rule's verdict, as the original service's answer did.
            recorded.preflight = preflight.flatMap { $0.hasFailure ? $0 : nil }
            return .done((sequence, .success(recorded)))
        } catch {
            if reserved { releaseReservation(productID, named: input.productName) }
            throw error
        }
    }

    func record(_ input: BuildEventInput, request: RequestTag?, recordedAt: Timestamp? = nil, history: Bool = false) throws(TrackerError)
        -> Routed<(sequence: UInt64, answer: Recorded<BuildView>)> {
        let now = recordedAt ?? services.clock.now()
        let (productID, reserved): (EntityID, Bool)
        switch claim(input.productName, at: now) {
        case .existing(let id): (productID, reserved) = (id, false)
        case .reserved(let id): (productID, reserved) = (id, true)
        case .elsewhere(let shard): return .elsewhere(shard: shard)
        }
        if !reserved, products[productID]!.shaConflict(version: input.version, sha: input.scmSha) {
            throw .shaConflict(version: input.version)
        }
        do {
            // Read in place: a copy of the state still held when the event is applied would make
            // the apply copy what it changes.
            let versionID = products[productID]?.version(named: input.version)?.id ?? services.ids.next()
            let buildID = products[productID]?.correlatedBuild(versionID: versionID, invokeID: input.invokeID) ?? services.ids.next()
            var event = AcceptedBuildEvent(eventID: services.ids.next(), recordedAt: now, productID: productID,
                                           versionID: versionID, buildID: buildID, input: input, request: request)
            if !history { event.deliveries = deliveries(owedFor: .build(event)) }
            let sequence = try journal(.buildEvent(event))
            products.apply(.buildEvent(event), environmentExists: { _ in true })
            productNames[input.productName] = productID
            if let request { services.requests.noteEvent(request, subject: .build(buildID), at: now) }
            let build = products[productID]!.build(id: buildID)!
            let view = BuildView(build: build, productName: input.productName, version: input.version)
            return .done((sequence, Recorded(subject: view, event: EventView(event: .build(event), isRollback: nil),
                                             sequence: sequence)))
        } catch {
            if reserved { releaseReservation(productID, named: input.productName) }
            throw error
        }
    }

    /// A delivery for each webhook that wants this event (none when no webhook does).
    private func deliveries(owedFor event: LoggedEvent) -> [PendingDelivery] {
        let webhooks = services.catalog.withLock { $0.webhooks }
        guard !webhooks.isEmpty else { return [] }
        let type = event.eventType
        return webhooks.filter { $0.accepts(event, type: type) }.map {
            PendingDelivery(id: services.ids.next(), webhookID: $0.id, productID: event.productID, eventID: event.id)
        }
    }

    /// Journals an event, and owes the deliveries it carries in the same step, under the
    /// outbox's lock: the journal's order of owed deliveries is then the outbox's.
    private func journal(_ change: StateChange) throws(TrackerError) -> UInt64 {
        let deliveries = change.owedDeliveries
        guard !deliveries.isEmpty else { return try append(change) }
        switch services.outbox.queue(deliveries, journaling: change, in: services.journal) {
        case .success(let sequence): return sequence
        case .failure(let error): throw .journal(error)
        }
    }

    /// The deployment rules' evaluation of a deployment about to start; nil when there are no
    /// rules and no skip was asked.
    private func evaluateRules(_ input: DeploymentEventInput, productID: EntityID, versionID: EntityID?,
                               environment: Environment, now: Timestamp, skip: Bool) -> Preflight? {
        let catalog = services.catalog.snapshot
        guard !catalog.rules.isEmpty else { return skip ? Preflight(skipRequested: true) : nil }
        return Preflight(rules: catalog.rules, subject: PreflightSubject(
            productName: input.productName, versionName: input.version, versionID: versionID,
            environment: environment, state: products[productID], catalog: catalog, now: now), skipRequested: skip)
    }

    /// The product of that name: one this shard holds, or a new one whose name is reserved for
    /// this shard in the catalog (atomically, so two shards never create the same name).
    private func claim(_ name: String, at time: Timestamp) -> Claim {
        if let id = productNames[name] { return .existing(id) }
        let candidate = Product(id: services.ids.next(), name: name, createdAt: time)
        let holder: Int? = services.catalog.withLock { catalog in
            if let shard = catalog.shard(forProductNamed: name) { return shard }
            catalog.place(candidate, onShard: index)
            return nil
        }
        if let holder { return .elsewhere(shard: holder) }
        return .reserved(candidate.id)
    }

    /// Undoes a reservation whose event was not accepted.
    private func releaseReservation(_ id: EntityID, named name: String) {
        guard products[id] == nil else { return }
        services.catalog.withLock { $0.unplace(Product(id: id, name: name, createdAt: Timestamp(microseconds: 0))) }
    }

    /// The environment of that name, created (and journaled, under the catalog's lock so the
    /// journal's order is the catalog's) when it does not exist.
    private func ensureEnvironment(named name: String, at time: Timestamp) throws(TrackerError) -> Environment {
        let result: Result<Environment, JournalError> = services.catalog.withLock { catalog in
            if let existing = catalog.environment(named: name) { return .success(existing) }
            let environment = Environment(id: services.ids.next(), name: name, createdAt: time)
            return services.journal.appending(.environmentSaved(environment)).map { _ in
                catalog.apply(environment)
                return environment
            }
        }
        switch result {
        case .success(let environment): return environment
        case .failure(let error): throw .journal(error)
        }
    }

    /// Journals a change that this turn then applies.
    func append(_ change: StateChange) throws(TrackerError) -> UInt64 {
        do {
            return try services.journal.append(change)
        } catch {
            throw .journal(error)
        }
    }

    /// A copy of this shard's products (cheap: copy-on-write) and the sequence they reflect.
    ///
    /// Only this shard journals changes to its products, and it applies each in the same turn,
    /// so inside a turn every change journaled so far that concerns them is applied.
    func capture() -> (sequence: UInt64, products: [EntityID: ProductState]) {
        (services.journal.lastSequence, products)
    }

    /// The ids of the products held here.
    func productIDs() -> [EntityID] { Array(products.keys) }

    /// One product as it is now, with the journal's sequence: every change to it journaled up to
    /// that sequence is applied (a change is journaled and applied in one turn).
    func capture(productID: EntityID) -> (sequence: UInt64, state: ProductState)? {
        products[productID].map { (services.journal.lastSequence, $0) }
    }

    // MARK: Products

    /// Creates a product; its name must be free on every shard.
    func create(_ product: Product) throws(TrackerError) -> UInt64 {
        let taken = services.catalog.withLock { catalog in
            if catalog.shard(forProductNamed: product.name) != nil { return true }
            catalog.place(product, onShard: index)
            return false
        }
        if taken { throw .conflict("Product \(product.name) already exists") }
        do {
            let sequence = try append(.productSaved(product))
            products.apply(.productSaved(product), environmentExists: { _ in true })
            productNames[product.name] = product.id
            return sequence
        } catch {
            services.catalog.withLock { $0.unplace(product) }
            throw error
        }
    }

    /// Changes a product's name, description or metadata.
    func update(productID: EntityID, _ patch: ProductPatch) throws(TrackerError) -> (sequence: UInt64, product: Product) {
        guard let old = products[productID]?.product else { throw .notFound("Product not found") }
        var product = patch.applied(to: old)
        product.updatedAt = max(services.clock.now(), old.updatedAt)
        if product.name != old.name {
            let taken = services.catalog.withLock { catalog in
                if catalog.shard(forProductNamed: product.name) != nil { return true }
                catalog.rename(product, from: old.name)
                return false
            }
            if taken { throw .conflict("Product \(product.name) already exists") }
        }
        let sequence: UInt64
        do {
            sequence = try append(.productSaved(product))
        } catch {
            if product.name != old.name { services.catalog.withLock { $0.rename(old, from: product.name) } }
            throw error
        }
        products.apply(.productSaved(product), environmentExists: { _ in true })
        productNames[old.name] = nil
        productNames[product.name] = product.id
        guard product.name != old.name else { return (sequence, product) }
        // Rules that name the product follow the rename.
        let rules = services.catalog.withLock { catalog in
            Tracker.journalRuleChanges(in: &catalog, journal: services.journal) {
                $0.renaming(old.name, to: product.name, ofEnvironment: false, at: product.updatedAt)
            }
        }
        switch rules {
        case .success(let last): return (last ?? sequence, product)
        case .failure(let error): throw .journal(error)
        }
    }

    /// Deletes a product with everything it holds.
    func delete(productID: EntityID) throws(TrackerError) -> UInt64 {
        guard let product = products[productID]?.product else { throw .notFound("Product not found") }
        let sequence = try append(.productDeleted(productID))
        products.apply(.productDeleted(productID), environmentExists: { _ in true })
        productNames[product.name] = nil
        let now = services.clock.now()
        let rules = services.catalog.withLock { catalog in
            catalog.unplace(product)
            return Tracker.journalRuleChanges(in: &catalog, journal: services.journal) {
                $0.removing(name: product.name, ofEnvironment: false, at: now)
            }
        }
        switch rules {
        case .success(let last): return last ?? sequence
        case .failure(let error): throw .journal(error)
        }
    }

    /// Applies a change to one of this shard's products that another node journaled, and calls
    /// `applied` in the same turn (so a capture sees the change and its sequence together).
    /// Returns the event, for live consumers, when the change is one.
    func follow(_ change: StateChange, applied: @Sendable () -> Void) -> EventView? {
        let catalog = services.catalog.snapshot
        let previous: Product? = switch change {
        case .productSaved(let product): products[product.id]?.product
        case .productDeleted(let id): products[id]?.product
        default: nil
        }
        products.apply(change, environmentExists: { catalog.environments[$0] != nil })
        applied()
        switch change {
        case .deploymentEvent(let event):
            if let tag = event.request { services.requests.noteEvent(tag, subject: .deployment(event.deploymentID), at: event.recordedAt) }
            guard let state = products[event.productID] else { return nil }
            hold(state.product, previousName: nil)
            let rollback = state.deployment(id: event.deploymentID).map { state.isRollback($0) }
            return EventView(event: .deployment(event), isRollback: rollback)
        case .buildEvent(let event):
            if let tag = event.request { services.requests.noteEvent(tag, subject: .build(event.buildID), at: event.recordedAt) }
            if let state = products[event.productID] { hold(state.product, previousName: nil) }
            return EventView(event: .build(event), isRollback: nil)
        case .productSaved(let product):
            hold(product, previousName: previous?.name)
        case .productDeleted:
            if let previous {
                productNames[previous.name] = nil
                services.catalog.withLock { $0.unplace(previous) }
            }
        case .environmentSaved, .environmentDeleted, .apiKeySaved, .ruleSaved, .ruleDeleted, .approvalSaved, .approvalDeleted,
             .requestAnswered, .webhookSaved, .webhookDeleted, .deliveriesQueued, .deliveryFinished:
            break
        }
        return nil
    }

    /// Notes that this shard holds `product` under its current name.
    private func hold(_ product: Product, previousName: String?) {
        if let previousName, previousName != product.name { productNames[previousName] = nil }
        productNames[product.name] = product.id
        services.catalog.withLock { catalog in
            if let previousName, previousName != product.name { catalog.rename(product, from: previousName) }
            catalog.place(product, onShard: index)
        }
    }

    /// Drops the deployments to an environment that the catalog has just deleted.
    func removeDeployments(environmentID: EntityID) {
        products.apply(.environmentDeleted(environmentID), environmentExists: { _ in false })
    }

}

/// A read-only view of one shard's products, handed to queries inside the shard's turn.
struct ShardContents {
    let products: [EntityID: ProductState]
    let productNames: ProductNames
    let catalog: CatalogState

    /// `transform` of each product held here (of the one named `name`, when given), without the
    /// nils; each is read in place, where ``products(named:)`` copies every product's state first.
    func compactMapProducts<T>(named name: String?, _ transform: (ProductState) -> T?) -> [T] {
        if let name {
            return productNames[name].flatMap { products[$0] }.flatMap(transform).map { [$0] } ?? []
        }
        var result: [T] = []
        result.reserveCapacity(products.count)
        let values = products.values
        for index in values.indices {
            if let value = transform(values[index]) { result.append(value) }
        }
        return result
    }

    /// The products a filter names: the one product, or all of them.
    func products(named name: String?) -> [ProductState] {
        if let name {
            return productNames[name].flatMap { products[$0] }.map { [$0] } ?? []
        }
        return Array(products.values)
    }

    func view(_ deployment: Deployment, in state: ProductState) -> DeploymentView {
        DeploymentView(deployment: deployment, productName: state.product.name,
                       version: state.version(id: deployment.versionID)?.name ?? "",
                       environmentName: catalog.environmentName(deployment.environmentID),
                       isRollback: state.isRollback(deployment), preflightSkipped: state.skippedPreflight(deployment.id))
    }

    func view(_ build: Build, in state: ProductState) -> BuildView {
        BuildView(build: build, productName: state.product.name, version: state.version(id: build.versionID)?.name ?? "")
    }

    func view(_ version: Version, in state: ProductState) -> VersionView {
        view(version, in: state, builds: state.builds(ofVersion: version.id), current: state.currentDeployments(ofVersion: version.id))
    }

    /// The version as it stood at `instant`: its builds and where it was current then.
    func view(_ version: Version, in state: ProductState, asOf instant: Timestamp) -> VersionView {
        let builds = state.builds(ofVersion: version.id).compactMap { state.build($0, asOf: instant) }
        let current = state.environmentSlots(asOf: instant, allowed: { _ in true }).values.compactMap { slot in
            slot.current.flatMap { $0.versionID == version.id ? $0 : nil }
        }
        return view(version, in: state, builds: builds, current: current)
    }

    private func view(_ version: Version, in state: ProductState, builds: [Build], current: [Deployment]) -> VersionView {
        let deployedTo = current.compactMap { deployment -> DeployedTo? in
            guard let environment = catalog.environments[deployment.environmentID] else { return nil }
            return DeployedTo(environment: environment, deploymentID: deployment.id, deployedAt: deployment.deployedAt)
        }
        .sorted { ($0.environment.type.displayRank, $0.environment.name) < ($1.environment.type.displayRank, $1.environment.name) }
        return VersionView(version: version, productName: state.product.name, builds: builds, deployedTo: deployedTo,
                           readiness: Readiness(builds: builds))
    }
}
