/// One event of an import (docs/API.md §10), validated, with when it was first recorded (as an
/// export says; nil: now).
public enum ImportedEvent: Sendable {
    case deployment(DeploymentEventInput, recordedAt: Timestamp?)
    case build(BuildEventInput, recordedAt: Timestamp?)
}

/// What an import recorded.
public struct ImportSummary: Hashable, Sendable {
    public var imported: Int
    public var firstEventID: EntityID?
    public var lastEventID: EntityID?
}

/// Moving history in and out: imports, exports.
extension Tracker {
    /// Records `events` in their order, as history: the deployment rules are not asked (it
    /// happened), each event is recorded at its own recording time when it has one (so an
    /// export imported answers the same, as of any instant too), each is journaled as it is
    /// applied, and the call returns once all are durable. The caller has validated them, SHAs included (``versionShas(_:)``), so nothing
    /// refuses one halfway.
    public func importEvents(_ events: [ImportedEvent]) async throws(TrackerError) -> ImportSummary {
        var summary = ImportSummary(imported: 0)
        var last: UInt64 = 0
        for event in events {
            let item: EventFeed.Item
            switch event {
            case .deployment(let input, let recordedAt):
                let result = try await routeJournaled(input.productName) { shard throws(TrackerError) in
                    try shard.record(input, skipPreflight: false, request: nil, history: true, recordedAt: recordedAt)
                }
                guard case .success(let recorded) = result.answer else { throw .conflict("A deployment rule refused an imported event") }
                item = EventFeed.Item(sequence: result.sequence, event: recorded.event)
                last = result.sequence
            case .build(let input, let recordedAt):
                let result = try await routeJournaled(input.productName) { shard throws(TrackerError) in
                    try shard.record(input, request: nil, recordedAt: recordedAt, history: true)
                }
                item = EventFeed.Item(sequence: result.sequence, event: result.answer.event)
                last = result.sequence
            }
            feed.publish(item)
            summary.imported += 1
            if summary.firstEventID == nil { summary.firstEventID = item.event.event.id }
            summary.lastEventID = item.event.event.id
        }
        if last > 0 { try await waitDurable(last) }
        return summary
    }

    /// The SHA each named version has now (only versions that exist and have one).
    public func versionShas(_ versions: Set<ProductVersion>) async -> [ProductVersion: String] {
        let parts = await gather { contents in
            var found: [ProductVersion: String] = [:]
            for wanted in versions {
                guard let id = contents.productNames[wanted.product], let state = contents.products[id],
                      let sha = state.version(named: wanted.version)?.scmSha, !sha.isEmpty else { continue }
                found[wanted] = sha
            }
            return found
        }
        return parts.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
    }

    /// Every product's id and name, by name (what an export walks).
    public func productNames() async -> [(name: String, id: EntityID)] {
        Self.mergedByName(await gather { $0.productNames.ordered })
    }

    /// Up to `limit` of a product's events from position `start` on, oldest first; nil when the
    /// product no longer exists. An export reads a product in such chunks, so it never holds
    /// more than one chunk.
    public func events(ofProduct id: EntityID, from start: Int, limit: Int) async -> [LoggedEvent]? {
        guard let shard = services.catalog.withLock({ $0.shard(forProductID: id) }) else { return nil }
        return await shards[shard].read { contents -> [LoggedEvent]? in
            guard let events = contents.products[id]?.events else { return nil }
            guard start < events.count else { return [] }
            return Array(events[start..<min(events.count, start + limit)])
        }
    }
}

/// A version named by its product's and its own name.
public struct ProductVersion: Hashable, Sendable {
    public var product: String
    public var version: String

    public init(product: String, version: String) {
        self.product = product
        self.version = version
    }
}
