import Synchronization
import VersionerCore

/// Rendered rows of the state matrix, each kept with the row it shows: served again only while
/// the product's row is equal to it (same cells, same drift), so never stale.
final class RowCache: Sendable {
    struct Key: Hashable, Sendable {
        let product: EntityID
        let columns: [String]
    }

    /// Rows kept at most; when full, the cache starts over.
    private let capacity: Int
    private let entries = Mutex<[Key: (row: ProductStateRow, html: String)]>([:])

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    func html(for key: Key, of row: ProductStateRow) -> String? {
        guard let entry = entries.withLock({ $0[key] }), entry.row == row else { return nil }
        return entry.html
    }

    func keep(_ html: String, for key: Key, of row: ProductStateRow) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = (row, html)
        }
    }
}
