/// The whole state as one value: the catalog and every product.
///
/// Recovery folds the journal into it with ``apply(_:)`` before the shards exist; the shards
/// apply the same changes to their part of the products through the same function while serving.
public struct TrackerState: Sendable {
    public var catalog: CatalogState
    public var products: [EntityID: ProductState]
    /// The requests a retry of which is answered again.
    public var requests: RequestLedgerState
    /// The deliveries owed to webhooks, and the last ones made.
    public var outbox: OutboxState

    public init(catalog: CatalogState = CatalogState(), products: [EntityID: ProductState] = [:],
                requests: RequestLedgerState = RequestLedgerState(), outbox: OutboxState = OutboxState()) {
        self.catalog = catalog
        self.products = products
        self.requests = requests
        self.outbox = outbox
    }

    public mutating func apply(_ change: StateChange) {
        switch change {
        case .environmentSaved(let environment):
            catalog.apply(environment)
        case .environmentDeleted(let id):
            catalog.removeEnvironment(id)
        case .apiKeySaved(let key):
            catalog.apply(key)
        case .ruleSaved(let rule):
            catalog.apply(rule)
        case .ruleDeleted(let id):
            catalog.removeRule(id)
        case .requestAnswered(let answered):
            requests.apply(answered)
        case .webhookSaved(let webhook):
            catalog.apply(webhook)
        case .webhookDeleted(let id):
            catalog.removeWebhook(id)
            outbox.removeWebhook(id)
        case .deliveriesQueued(let deliveries):
            outbox.queue(deliveries)
        case .deliveryFinished(let outcome):
            outbox.finish(outcome)
        case .deploymentEvent(let event):
            if let tag = event.request { requests.noteEvent(tag, subject: .deployment(event.deploymentID), at: event.recordedAt) }
            outbox.queue(event.deliveries)
        case .buildEvent(let event):
            if let tag = event.request { requests.noteEvent(tag, subject: .build(event.buildID), at: event.recordedAt) }
            outbox.queue(event.deliveries)
        default:
            break
        }
        let catalog = self.catalog
        products.apply(change, environmentExists: { catalog.environments[$0] != nil })
    }
}

extension Dictionary where Key == EntityID, Value == ProductState {
    /// Applies the product side of a change to the products held here. Catalog changes only
    /// touch products through a deleted environment's deployments.
    public mutating func apply(_ change: StateChange, environmentExists: (EntityID) -> Bool) {
        switch change {
        case .deploymentEvent(let event):
            self[event.productID, default: ProductState(implicitFor: event.productID, named: event.input.productName, at: event.recordedAt)]
                .apply(event, environmentExists: environmentExists(event.environmentID))
        case .buildEvent(let event):
            self[event.productID, default: ProductState(implicitFor: event.productID, named: event.input.productName, at: event.recordedAt)]
                .apply(event)
        case .productSaved(let product):
            self[product.id, default: ProductState(product: product)].apply(product)
        case .productDeleted(let id):
            self[id] = nil
        case .approvalSaved(let approval):
            self[approval.productID]?.apply(approval)
        case .approvalDeleted(let id, let productID):
            self[productID]?.removeApproval(id: id)
        case .environmentSaved, .apiKeySaved, .ruleSaved, .ruleDeleted, .requestAnswered,
             .webhookSaved, .webhookDeleted, .deliveriesQueued, .deliveryFinished:
            break
        case .environmentDeleted(let id):
            for productID in Array(keys) {
                self[productID]?.removeDeployments(environmentID: id)
            }
        }
    }
}

extension ProductState {
    /// The state of a product that its first event creates.
    init(implicitFor id: EntityID, named name: String, at time: Timestamp) {
        self.init(product: Product(id: id, name: name, createdAt: time))
    }
}

extension TrackerState {
    /// The greatest id anywhere in the state (zero when empty).
    public var newestID: EntityID {
        var newest = EntityID(high: 0, low: 0)
        for environment in catalog.environments.values { newest = max(newest, environment.id) }
        for rule in catalog.rules { newest = max(newest, rule.id) }
        for webhook in catalog.webhooks { newest = max(newest, webhook.id) }
        // Delivery ids are issued after their event's.
        for delivery in outbox.pending { newest = max(newest, delivery.id) }
        for outcome in outbox.logs.values.joined() { newest = max(newest, outcome.deliveryID) }
        for state in products.values {
            newest = max(newest, state.product.id)
            if let last = state.events.last { newest = max(newest, last.id) }
            if let last = state.versions.last { newest = max(newest, last.id) }
            if let last = state.builds.last { newest = max(newest, last.id) }
            if let last = state.deployments.last { newest = max(newest, last.id) }
            // A violation's id is issued before its event's: the last event's id covers them.
            for approval in state.approvals { newest = max(newest, approval.id) }
        }
        return newest
    }
}

/// A copy of the tracker's state taken for a snapshot: each part with the sequence it reflects.
public struct StateCapture: Sendable {
    public var catalog: CatalogState
    public var catalogSequence: UInt64
    public var shards: [(sequence: UInt64, products: [EntityID: ProductState])]
    /// Taken after the shards, so it holds every request their events noted.
    public var requests: RequestLedgerState
    /// Taken after the shards, so it holds every delivery their events owed.
    public var outbox: OutboxState

    public init(catalog: CatalogState, catalogSequence: UInt64, shards: [(sequence: UInt64, products: [EntityID: ProductState])],
                requests: RequestLedgerState = RequestLedgerState(), outbox: OutboxState = OutboxState()) {
        self.catalog = catalog
        self.catalogSequence = catalogSequence
        self.shards = shards
        self.requests = requests
        self.outbox = outbox
    }

    /// Every change up to this sequence is in the capture; later ones may be in parts of it.
    public var sequence: UInt64 {
        shards.map(\.sequence).reduce(catalogSequence, min)
    }
}

/// A snapshot's view of the live state: the catalog as it was, and the products to write, each
/// copied from its shard only when its turn to be written comes.
///
/// A capture of every product at once (``StateCapture``) made each product's first write after
/// it copy all of that product's records, for every product at the same moment: a burst of
/// copying just when the snapshot also takes a core. Copied one at a time, a product is copied
/// again only if a write lands while that very product is being written out.
public struct LiveCapture: Sendable {
    public let catalog: CatalogState
    public let catalogSequence: UInt64
    /// The products that existed when the capture was made, in id order.
    public let productIDs: [EntityID]
    private let shardOfProduct: [Int]
    private let shards: [Shard]
    private let requests: RequestLedger
    private let outbox: WebhookOutbox
    private let clock: any WallClock

    init(catalog: CatalogState, catalogSequence: UInt64, products: [(id: EntityID, shard: Int)], shards: [Shard],
         requests: RequestLedger, outbox: WebhookOutbox, clock: any WallClock) {
        self.outbox = outbox
        self.catalog = catalog
        self.catalogSequence = catalogSequence
        self.productIDs = products.map(\.id)
        self.shardOfProduct = products.map(\.shard)
        self.shards = shards
        self.requests = requests
        self.clock = clock
    }

    /// The requests remembered now and still alive; asked for after every product was written,
    /// so it holds every request their events noted.
    public func liveRequests() -> [(key: RequestKey, entry: RequestEntry)] {
        requests.live(at: clock.now())
    }

    /// The deliveries owed now and the log; asked for after every product was written, so it
    /// holds every delivery their events owed.
    public func liveOutbox() -> OutboxState {
        outbox.withState { $0 }
    }

    /// Product `index` of ``productIDs`` as it is now, with the last change it reflects; nil
    /// when it was deleted since (its deletion is then journaled after ``catalogSequence``).
    public func product(at index: Int) async -> (sequence: UInt64, state: ProductState)? {
        await shards[shardOfProduct[index]].capture(productID: productIDs[index])
    }
}
