import Synchronization

/// What is shared across products: the environments, and which shard holds which product.
public struct CatalogState: Sendable {
    public private(set) var environments: [EntityID: Environment] = [:]
    private var environmentIDsByName: [String: EntityID] = [:]
    private var shardByProductName: [String: Int] = [:]
    private var shardByProductID: [EntityID: Int] = [:]
    public private(set) var keys: [EntityID: APIKey] = [:]
    private var keyIDsByPublicID: [String: EntityID] = [:]
    /// The deployment rules in evaluation order (by type, then oldest first).
    public private(set) var rules: [DeploymentRule] = []
    /// The webhooks, oldest first.
    public private(set) var webhooks: [Webhook] = []

    public init() {}

    public func environment(named name: String) -> Environment? {
        environmentIDsByName[name].flatMap { environments[$0] }
    }

    public func environmentName(_ id: EntityID) -> String {
        environments[id]?.name ?? ""
    }

    public mutating func apply(_ saved: Environment) {
        if let old = environments[saved.id], old.name != saved.name {
            environmentIDsByName[old.name] = nil
        }
        environments[saved.id] = saved
        environmentIDsByName[saved.name] = saved.id
    }

    public mutating func removeEnvironment(_ id: EntityID) {
        guard let old = environments.removeValue(forKey: id) else { return }
        environmentIDsByName[old.name] = nil
    }

    /// The key whose public id (the part after the account in `sk_<account>_<key id>_…`) is this.
    public func key(publicID: String) -> APIKey? {
        keyIDsByPublicID[publicID].flatMap { keys[$0] }
    }

    public mutating func apply(_ key: APIKey) {
        keys[key.id] = key
        keyIDsByPublicID[key.keyID] = key.id
    }

    public func rule(id: EntityID) -> DeploymentRule? { rules.first { $0.id == id } }

    /// Adds a rule, or replaces the one with its id.
    public mutating func apply(_ rule: DeploymentRule) {
        rules.removeAll { $0.id == rule.id }
        rules.append(rule)
        rules.sort { ($0.kind.evaluationRank, $0.id) < ($1.kind.evaluationRank, $1.id) }
    }

    public mutating func removeRule(_ id: EntityID) {
        rules.removeAll { $0.id == id }
    }

    public func webhook(id: EntityID) -> Webhook? { webhooks.first { $0.id == id } }

    /// Adds a webhook, or replaces the one with its id.
    public mutating func apply(_ webhook: Webhook) {
        if let index = webhooks.firstIndex(where: { $0.id == webhook.id }) {
            webhooks[index] = webhook
        } else {
            webhooks.append(webhook)
            webhooks.sort { $0.id < $1.id }
        }
    }

    public mutating func removeWebhook(_ id: EntityID) {
        webhooks.removeAll { $0.id == id }
    }

    /// The shard that holds the product of that name, if it exists.
    public func shard(forProductNamed name: String) -> Int? { shardByProductName[name] }
    public func shard(forProductID id: EntityID) -> Int? { shardByProductID[id] }

    /// Records that `shard` holds the product (under its current name).
    public mutating func place(_ product: Product, onShard shard: Int) {
        shardByProductName[product.name] = shard
        shardByProductID[product.id] = shard
    }

    public mutating func unplace(_ product: Product) {
        shardByProductName[product.name] = nil
        shardByProductID[product.id] = nil
    }

    public mutating func rename(_ product: Product, from oldName: String) {
        guard let shard = shardByProductID[product.id] else { return }
        shardByProductName[oldName] = nil
        shardByProductName[product.name] = shard
    }
}

/// The one owner of ``CatalogState``, shared by all shards.
///
/// A lock rather than an actor: shards must read and update it inside their own actor turn,
/// without an `await` between reading state and changing it.
public final class Catalog: Sendable {
    private let state: Mutex<CatalogState>

    public init(_ initial: CatalogState = CatalogState()) {
        state = Mutex(initial)
    }

    /// A consistent copy (copy-on-write: cheap).
    public var snapshot: CatalogState { state.withLock { $0 } }

    /// Runs `body` with exclusive access to the catalog.
    public func withLock<T>(_ body: (inout CatalogState) throws -> T) rethrows -> T {
        try state.withLock { try body(&$0) }
    }
}
