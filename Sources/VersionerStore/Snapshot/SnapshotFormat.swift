import Foundation
import Synchronization
import VersionerCore

/// A snapshot file's fixed header (40 bytes, big-endian): magic `VSNP`, format version (u16),
/// reserved (u16), sequence (u64), uncompressed payload length (u64), compressed payload length
/// (u64), CRC-32 of the uncompressed payload (u32), CRC-32 of the 36 header bytes before it (u32).
public struct SnapshotHeader: Sendable, Hashable {
    public var version: UInt16
    /// Every journaled change up to this sequence number is in the snapshot.
    public var sequence: UInt64
    public var uncompressedLength: UInt64
    public var compressedLength: UInt64
    public var payloadCRC: UInt32
}

/// Why a snapshot file cannot be used.
public struct SnapshotError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "snapshot \(path): \(reason)" }
}

/// A snapshot read back: the state, and the sequence each part of it reflects.
public struct LoadedSnapshot: Sendable {
    public var header: SnapshotHeader
    public var state: TrackerState
    /// The last catalog change the snapshot holds.
    public var catalogSequence: UInt64
    /// For each product, the last change to it the snapshot holds.
    public var productSequences: [EntityID: UInt64]
}

/// Encodes and decodes snapshot files (documented in `snapshots/README.md`).
public enum SnapshotFormat {
    static let magic: [UInt8] = Array("VSNP".utf8)
    /// Version 7 adds the webhooks after the rules, and the webhook outbox (the deliveries owed,
    /// then each webhook's logged outcomes) after the requests. Version 6 adds the remembered requests (`Idempotency-Key` answers, recent retries) after
    /// the products. Version 5 adds the deployment rules after the keys, each product's approvals after its
    /// deployments, and events with what their preflight left. Version 4 writes events' and records' text fields packed, in their declared order (a new
    /// field needs no new version); version 3 writes each product's events before its other
    /// records, which refer to them for text they share; version 2 added API keys after the
    /// environments. Versions 1 to 3 still load.
    public static let version: UInt16 = 7
    static let readableVersions: ClosedRange<UInt16> = 1...7
    static let headerSize = 40
    public static let fileExtension = ".snap"

    public static func fileName(sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + fileExtension
    }

    /// The uncompressed payload of a capture, and the sequence up to which it holds every change.
    static func payload(_ source: some SnapshotSource) -> (bytes: [UInt8], sequence: UInt64) {
        var writer = BinaryWriter(capacity: 1 << 20)
        writer.uvarint(source.catalogSequence)
        let environments = source.catalog.environments.values.sorted { $0.id < $1.id }
        writer.count(environments.count)
        for environment in environments { writer.environment(environment) }
        let keys = source.catalog.keys.values.sorted { $0.id < $1.id }
        writer.count(keys.count)
        for key in keys { writer.apiKey(key) }
        writer.count(source.catalog.rules.count)
        for rule in source.catalog.rules { writer.rule(rule) }
        writer.count(source.catalog.webhooks.count)
        for webhook in source.catalog.webhooks { writer.webhook(webhook) }
        // Products deleted while the snapshot is written are left out: counted at the end.
        let countOffset = writer.countPlaceholder()
        var written = 0
        var sequence = source.catalogSequence
        for index in 0..<source.productCount {
            guard let (productSequence, state) = source.product(at: index) else { continue }
            written += 1
            sequence = min(sequence, productSequence)
            writer.uvarint(productSequence)
            writer.product(state.product)
            let events = EventLookup(state.events)
            writer.count(state.events.count)
            for event in state.events { writer.loggedEvent(event) }
            var creators = events.creators()
            writer.count(state.versions.count)
            for version in state.versions { writer.version(version, creator: creators.next(version.id)) }
            writer.count(state.builds.count)
            for build in state.builds { writer.build(build, lastEvent: events[build.lastEventID]) }
            writer.count(state.deployments.count)
            for deployment in state.deployments { writer.deployment(deployment, lastEvent: events[deployment.lastEventID]) }
            writer.count(state.approvals.count)
            for approval in state.approvals { writer.approval(approval) }
        }
        writer.patchCount(written, at: countOffset)
        let requests = source.rememberedRequests()
        writer.count(requests.count)
        for (key, entry) in requests {
            writer.requestKey(key)
            writer.requestEntry(entry)
        }
        let outbox = source.webhookOutbox()
        let pending = outbox.pending
        writer.count(pending.count)
        for delivery in pending { writer.pendingDelivery(delivery) }
        let outcomes = outbox.logs.keys.sorted().flatMap { outbox.logs[$0]! }
        writer.count(outcomes.count)
        for outcome in outcomes { writer.deliveryOutcome(outcome) }
        return (writer.bytes, sequence)
    }

    /// A whole snapshot file: header and zlib-compressed payload.
    static func file(_ source: some SnapshotSource, level: Int32 = 1) throws -> (bytes: [UInt8], header: SnapshotHeader) {
        let (payload, sequence) = payload(source)
        let compressed = try Zlib.compress(payload, level: level)
        let header = SnapshotHeader(version: version, sequence: sequence, uncompressedLength: UInt64(payload.count),
                                    compressedLength: UInt64(compressed.count), payloadCRC: Zlib.crc32(payload))
        var bytes = encode(header)
        bytes.append(contentsOf: compressed)
        return (bytes, header)
    }

    static func encode(_ header: SnapshotHeader) -> [UInt8] {
        var bytes = magic
        bytes.appendBigEndian(header.version)
        bytes.appendBigEndian(UInt16(0))
        bytes.appendBigEndian(header.sequence)
        bytes.appendBigEndian(header.uncompressedLength)
        bytes.appendBigEndian(header.compressedLength)
        bytes.appendBigEndian(header.payloadCRC)
        bytes.appendBigEndian(Zlib.crc32(bytes))
        return bytes
    }

    /// The header, checked (magic, version, its own checksum, lengths against the file size).
    static func header(_ bytes: [UInt8], path: String) throws(SnapshotError) -> SnapshotHeader {
        guard bytes.count >= headerSize else { throw SnapshotError(path: path, reason: "shorter than its header") }
        guard Array(bytes[0..<4]) == magic else { throw SnapshotError(path: path, reason: "not a snapshot (bad magic)") }
        let headerCRC = bytes.readBigEndian(UInt32.self, at: 36)
        guard Zlib.crc32(bytes[0..<36]) == headerCRC else { throw SnapshotError(path: path, reason: "header checksum mismatch") }
        let header = SnapshotHeader(
            version: bytes.readBigEndian(UInt16.self, at: 4), sequence: bytes.readBigEndian(UInt64.self, at: 8),
            uncompressedLength: bytes.readBigEndian(UInt64.self, at: 16), compressedLength: bytes.readBigEndian(UInt64.self, at: 24),
            payloadCRC: bytes.readBigEndian(UInt32.self, at: 32))
        guard readableVersions.contains(header.version) else {
            throw SnapshotError(path: path, reason: "unknown snapshot format version \(header.version)")
        }
        guard header.compressedLength == UInt64(bytes.count - headerSize) else {
            throw SnapshotError(path: path, reason: "file is \(bytes.count - headerSize) bytes after the header, header says \(header.compressedLength)")
        }
        guard header.uncompressedLength < 1 << 34 else { throw SnapshotError(path: path, reason: "implausible payload length") }
        return header
    }

    /// Reads a whole snapshot file, verifying both checksums and decoding every record.
    public static func decode(_ bytes: [UInt8], path: String) throws(SnapshotError) -> LoadedSnapshot {
        let header = try header(bytes, path: path)
        let payload: [UInt8]
        do {
            payload = try Zlib.decompress(bytes[headerSize...], expectedSize: Int(header.uncompressedLength))
        } catch {
            throw SnapshotError(path: path, reason: "cannot decompress: \(error)")
        }
        guard Zlib.crc32(payload) == header.payloadCRC else { throw SnapshotError(path: path, reason: "payload checksum mismatch") }
        do {
            return try decodePayload(payload, header: header)
        } catch {
            throw SnapshotError(path: path, reason: "cannot decode: \(error)")
        }
    }

    static func decodePayload(_ payload: [UInt8], header: SnapshotHeader) throws(DecodingError) -> LoadedSnapshot {
        var reader = BinaryReader(payload)
        let catalogSequence = try reader.uvarint()
        var catalog = CatalogState()
        for _ in 0..<(try reader.count()) { catalog.apply(try reader.environment()) }
        if header.version >= 2 {
            for _ in 0..<(try reader.count()) { catalog.apply(try reader.apiKey()) }
        }
        if header.version >= 5 {
            for _ in 0..<(try reader.count()) { catalog.apply(try reader.rule()) }
        }
        if header.version >= 7 {
            for _ in 0..<(try reader.count()) { catalog.apply(try reader.webhook()) }
        }
        var decoded: [DecodedProduct] = []
        var sequences: [EntityID: UInt64] = [:]
        for _ in 0..<(try reader.count()) {
            let sequence = try reader.uvarint()
            var part = DecodedProduct(product: try reader.product())
            if header.version >= 3 {
                for _ in 0..<(try reader.count()) { part.events.append(try reader.loggedEvent()) }
                let events = EventLookup(part.events)
                var creators = events.creators()
                for _ in 0..<(try reader.count()) { part.versions.append(try reader.version(creators: &creators)) }
                for _ in 0..<(try reader.count()) { part.builds.append(try reader.build(events: events, format: header.version)) }
                for _ in 0..<(try reader.count()) { part.deployments.append(try reader.deployment(events: events, format: header.version)) }
                if header.version >= 5 {
                    for _ in 0..<(try reader.count()) { part.approvals.append(try reader.approval()) }
                }
            } else {
                for _ in 0..<(try reader.count()) { part.versions.append(try reader.versionFormat2()) }
                for _ in 0..<(try reader.count()) { part.builds.append(try reader.buildFormat2()) }
                for _ in 0..<(try reader.count()) { part.deployments.append(try reader.deploymentFormat2()) }
                for _ in 0..<(try reader.count()) { part.events.append(try reader.loggedEvent()) }
            }
            sequences[part.product.id] = sequence
            decoded.append(part)
        }
        var requests = RequestLedgerState()
        if header.version >= 6 {
            for _ in 0..<(try reader.count()) {
                let key = try reader.requestKey()
                requests.insert(try reader.requestEntry(), for: key)
            }
        }
        var outbox = OutboxState()
        if header.version >= 7 {
            var pending: [PendingDelivery] = []
            for _ in 0..<(try reader.count()) { pending.append(try reader.pendingDelivery()) }
            outbox.queue(pending)
            for _ in 0..<(try reader.count()) { outbox.restoreLog(try reader.deliveryOutcome()) }
        }
        guard reader.isAtEnd else { throw DecodingError("data after the last product") }
        var products: [EntityID: ProductState] = [:]
        products.reserveCapacity(decoded.count)
        for state in DecodedProduct.states(of: decoded) { products[state.product.id] = state }
        return LoadedSnapshot(header: header, state: TrackerState(catalog: catalog, products: products, requests: requests, outbox: outbox),
                              catalogSequence: catalogSequence, productSequences: sequences)
    }
}

/// One product's records as decoded, before its indexes are built.
struct DecodedProduct {
    var product: Product
    var versions: [Version] = []
    var builds: [Build] = []
    var deployments: [Deployment] = []
    var events: [LoggedEvent] = []
    var approvals: [Approval] = []

    /// Every product's state, built on all cores: building the indexes is, after decoding, the
    /// costliest step of loading a snapshot, and products are independent of each other.
    static func states(of decoded: [DecodedProduct]) -> [ProductState] {
        guard !decoded.isEmpty else { return [] }
        let lanes = min(decoded.count, 4 * ProcessInfo.processInfo.activeProcessorCount)
        return [ProductState](unsafeUninitializedCapacity: decoded.count) { buffer, initialized in
            // Unchecked by the compiler, for this reason: each lane initialises only its own
            // indexes (lane, lane + lanes, …), so no element is written twice or read at all
            // before `concurrentPerform` returns, and the buffer outlives every lane.
            nonisolated(unsafe) let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                for index in stride(from: lane, to: decoded.count, by: lanes) {
                    let part = decoded[index]
                    (base + index).initialize(to: ProductState(product: part.product, versions: part.versions,
                                                               builds: part.builds, deployments: part.deployments,
                                                               events: part.events, approvals: part.approvals))
                }
            }
            initialized = decoded.count
        }
    }
}

/// A product's events, found by id: what snapshot records refer to for the text they share.
///
/// Writer and reader find the same event for a record by the same steps over the same events,
/// so a record the writer marked as sharing its event's text is read back sharing it.
struct EventLookup {
    private let events: [LoggedEvent]

    init(_ events: [LoggedEvent]) {
        self.events = events
    }

    /// The event with this id. Events are kept in the order they were accepted, so their ids
    /// ascend: a binary search (should they not, some event is not found, and the writer then
    /// stores the record's text in full).
    subscript(id: EntityID) -> LoggedEvent? {
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            let found = events[middle].id
            if found == id { return events[middle] }
            if found < id { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// The events that created the versions, found in version order.
    func creators() -> VersionCreators { VersionCreators(events: events) }
}

/// Walks a product's events once to find, for each version in turn, the event that created it:
/// versions are created by events, in event order, so each one's first event comes after the
/// previous one's.
struct VersionCreators {
    let events: [LoggedEvent]
    private var position = 0

    init(events: [LoggedEvent]) {
        self.events = events
    }

    /// The first event naming `versionID` after the previous version's; call once per version, in order.
    mutating func next(_ versionID: EntityID) -> LoggedEvent? {
        while position < events.count {
            let event = events[position]
            position += 1
            if event.versionID == versionID { return event }
        }
        return nil
    }
}

/// What a snapshot is written from: the catalog, and the products one at a time, in id order.
public protocol SnapshotSource {
    var catalog: CatalogState { get }
    /// Every catalog change up to here is in ``catalog``.
    var catalogSequence: UInt64 { get }
    var productCount: Int { get }
    /// Product `index` with the last change it holds, or nil if it no longer exists. Called once
    /// per product, in order, from the thread that writes the snapshot (it may block).
    func product(at index: Int) -> (sequence: UInt64, state: ProductState)?
    /// The remembered requests to keep, asked for after the last product.
    func rememberedRequests() -> [(key: RequestKey, entry: RequestEntry)]
    /// The webhook outbox to keep, asked for after the remembered requests.
    func webhookOutbox() -> OutboxState
}

/// A capture of every product at once (tools, tests): its products in id order.
struct CapturedSource: SnapshotSource {
    let catalog: CatalogState
    let catalogSequence: UInt64
    private let products: [(sequence: UInt64, state: ProductState)]
    private let remembered: RequestLedgerState
    private let outbox: OutboxState

    init(_ capture: StateCapture) {
        catalog = capture.catalog
        catalogSequence = capture.catalogSequence
        remembered = capture.requests
        outbox = capture.outbox
        products = capture.shards.flatMap { shard in shard.products.values.map { (shard.sequence, $0) } }
            .sorted { $0.state.product.id < $1.state.product.id }
    }

    var productCount: Int { products.count }
    func product(at index: Int) -> (sequence: UInt64, state: ProductState)? { products[index] }
    func rememberedRequests() -> [(key: RequestKey, entry: RequestEntry)] {
        remembered.entries.map { ($0.key, $0.value) }.sorted { $0.key < $1.key }
    }
    func webhookOutbox() -> OutboxState { outbox }
}

/// A live capture, each product fetched from its shard when its turn comes.
///
/// The snapshot is encoded on a thread of its own, outside Swift concurrency, and that thread
/// waits for each product; the fetching is done by the async task that asked for the snapshot
/// (``SnapshotStore/write(_:to:compressionLevel:niceness:)``), which answers each request. So
/// nothing ever blocks a thread of the cooperative pool, and no unstructured task is made.
struct RequestingSource: SnapshotSource {
    /// One product asked for by the writer thread, and where the answer goes.
    struct Request: Sendable {
        let index: Int
        let reply: Reply
    }

    /// A one-time answer the writer thread waits for (it alone blocks: it is not in the pool).
    final class Reply: Sendable {
        private let value = Mutex<(sequence: UInt64, state: ProductState)??>(nil)
        private let answered = DispatchSemaphore(value: 0)

        func answer(_ product: (sequence: UInt64, state: ProductState)?) {
            value.withLock { $0 = .some(product) }
            answered.signal()
        }

        fileprivate func wait() -> (sequence: UInt64, state: ProductState)? {
            answered.wait()
            return value.withLock { $0 } ?? nil
        }
    }

    let capture: LiveCapture
    let requests: AsyncStream<Request>.Continuation

    var catalog: CatalogState { capture.catalog }
    var catalogSequence: UInt64 { capture.catalogSequence }
    var productCount: Int { capture.productIDs.count }

    func rememberedRequests() -> [(key: RequestKey, entry: RequestEntry)] { capture.liveRequests() }
    func webhookOutbox() -> OutboxState { capture.liveOutbox() }

    func product(at index: Int) -> (sequence: UInt64, state: ProductState)? {
        let reply = Reply()
        guard case .enqueued = requests.yield(Request(index: index, reply: reply)) else { return nil }
        return reply.wait()
    }
}
