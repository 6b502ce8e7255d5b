/// The names of one shard's products: the id of each name, and every product in name order.
///
/// The order is kept as names come and go (a new product, a rename, a deletion: rare next to
/// events), so a page of products by name needs no sort of all of them.
struct ProductNames {
    private var ids: [String: EntityID] = [:]
    /// By name, then id (two shards never hold one name, but the order must be total).
    private(set) var ordered: [(name: String, id: EntityID)] = []

    init() {}

    init(_ products: some Sequence<(name: String, id: EntityID)>) {
        for (name, id) in products { ids[name] = id }
        ordered = ids.map { (name: $0.key, id: $0.value) }.sorted(by: Self.precedes)
    }

    var count: Int { ids.count }

    /// The product of that name; setting nil forgets the name.
    subscript(name: String) -> EntityID? {
        get { ids[name] }
        set {
            let old = ids[name]
            guard old != newValue else { return }
            if let old { ordered.remove(at: position(of: (name, old))) }
            ids[name] = newValue
            if let newValue { ordered.insert((name, newValue), at: position(of: (name, newValue))) }
        }
    }

    /// Where `entry` is in the order, or would go.
    private func position(of entry: (name: String, id: EntityID)) -> Int {
        var low = 0, high = ordered.count
        while low < high {
            let middle = (low + high) / 2
            if Self.precedes(ordered[middle], entry) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func precedes(_ a: (name: String, id: EntityID), _ b: (name: String, id: EntityID)) -> Bool {
        (a.name, a.id) < (b.name, b.id)
    }
}
