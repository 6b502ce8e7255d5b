import Foundation
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
    /// Version 2 added API keys after the environments; version 1 files (no keys) still load.
    public static let version: UInt16 = 2
    static let readableVersions: ClosedRange<UInt16> = 1...2
    static let headerSize = 40
    public static let fileExtension = ".snap"

    public static func fileName(sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + fileExtension
    }

    /// The uncompressed payload of a capture.
    static func payload(_ capture: StateCapture) -> [UInt8] {
        var writer = BinaryWriter(capacity: 1 << 20)
        writer.uvarint(capture.catalogSequence)
        let environments = capture.catalog.environments.values.sorted { $0.id < $1.id }
        writer.count(environments.count)
        for environment in environments { writer.environment(environment) }
        let keys = capture.catalog.keys.values.sorted { $0.id < $1.id }
        writer.count(keys.count)
        for key in keys { writer.apiKey(key) }
        let products = capture.shards.flatMap { shard in shard.products.values.map { (shard.sequence, $0) } }
            .sorted { $0.1.product.id < $1.1.product.id }
        writer.count(products.count)
        for (sequence, state) in products {
            writer.uvarint(sequence)
            writer.product(state.product)
            writer.count(state.versions.count)
            for version in state.versions { writer.version(version) }
            writer.count(state.builds.count)
            for build in state.builds { writer.build(build) }
            writer.count(state.deployments.count)
            for deployment in state.deployments { writer.deployment(deployment) }
            writer.count(state.events.count)
            for event in state.events { writer.loggedEvent(event) }
        }
        return writer.bytes
    }

    /// A whole snapshot file: header and zlib-compressed payload.
    static func file(_ capture: StateCapture, level: Int32 = 1) throws -> (bytes: [UInt8], header: SnapshotHeader) {
        let payload = payload(capture)
        let compressed = try Zlib.compress(payload, level: level)
        let header = SnapshotHeader(version: version, sequence: capture.sequence, uncompressedLength: UInt64(payload.count),
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
        var decoded: [DecodedProduct] = []
        var sequences: [EntityID: UInt64] = [:]
        for _ in 0..<(try reader.count()) {
            let sequence = try reader.uvarint()
            var part = DecodedProduct(product: try reader.product())
            for _ in 0..<(try reader.count()) { part.versions.append(try reader.version()) }
            for _ in 0..<(try reader.count()) { part.builds.append(try reader.build()) }
            for _ in 0..<(try reader.count()) { part.deployments.append(try reader.deployment()) }
            for _ in 0..<(try reader.count()) { part.events.append(try reader.loggedEvent()) }
            sequences[part.product.id] = sequence
            decoded.append(part)
        }
        guard reader.isAtEnd else { throw DecodingError("data after the last product") }
        var products: [EntityID: ProductState] = [:]
        products.reserveCapacity(decoded.count)
        for state in DecodedProduct.states(of: decoded) { products[state.product.id] = state }
        return LoadedSnapshot(header: header, state: TrackerState(catalog: catalog, products: products),
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

    /// Every product's state, built on all cores: building the indexes is, after decoding, the
    /// costliest step of loading a snapshot, and products are independent of each other.
    static func states(of decoded: [DecodedProduct]) -> [ProductState] {
        guard !decoded.isEmpty else { return [] }
        let lanes = min(decoded.count, 4 * ProcessInfo.processInfo.activeProcessorCount)
        return [ProductState](unsafeUninitializedCapacity: decoded.count) { buffer, initialized in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                for index in stride(from: lane, to: decoded.count, by: lanes) {
                    let part = decoded[index]
                    (base + index).initialize(to: ProductState(product: part.product, versions: part.versions,
                                                               builds: part.builds, deployments: part.deployments,
                                                               events: part.events))
                }
            }
            initialized = decoded.count
        }
    }
}
