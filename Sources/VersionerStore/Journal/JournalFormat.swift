import VersionerCore

/// The journal's file format (documented byte by byte in `snapshots/README.md`).
///
/// A segment is a 16-byte header — magic `VJNL`, format version (u16), reserved (u16), first
/// sequence number (u64) — followed by records. A record is a 16-byte frame — payload length
/// (u32), CRC-32 of the sequence and payload bytes (u32), sequence number (u64) — and the
/// payload: the time it was journaled (zigzag varint, µs) and the change (binary codec).
/// All integers in headers and frames are big-endian.
public enum JournalFormat {
    static let magic: [UInt8] = Array("VJNL".utf8)
    static let version: UInt16 = 1
    static let headerSize = 16
    static let frameSize = 16
    /// No single record is larger than this; a larger length field is damage.
    static let maximumPayload = 16 * 1024 * 1024
    static let segmentExtension = ".wal"

    /// `00000000000000000001.wal`: the segment whose first record has this sequence number.
    static func segmentName(firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + segmentExtension
    }

    /// The first sequence number named by a segment file name, if it is one.
    static func firstSequence(ofSegmentNamed name: String) -> UInt64? {
        guard name.hasSuffix(segmentExtension) else { return nil }
        let digits = name.dropLast(segmentExtension.count)
        guard digits.count == 20 else { return nil }
        return UInt64(digits)
    }

    static func header(firstSequence: UInt64) -> [UInt8] {
        var bytes = magic
        bytes.appendBigEndian(version)
        bytes.appendBigEndian(UInt16(0))
        bytes.appendBigEndian(firstSequence)
        return bytes
    }

    /// One record, framed.
    static func record(sequence: UInt64, time: Timestamp, change: StateChange) -> [UInt8] {
        var payload = BinaryWriter()
        payload.timestamp(time)
        payload.change(change)
        return frame(sequence: sequence, payload: payload.bytes)
    }

    static func frame(sequence: UInt64, payload: [UInt8]) -> [UInt8] {
        var sequenceBytes: [UInt8] = []
        sequenceBytes.appendBigEndian(sequence)
        let crc = Zlib.crc32(payload, initial: Zlib.crc32(sequenceBytes))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frameSize + payload.count)
        bytes.appendBigEndian(UInt32(payload.count))
        bytes.appendBigEndian(crc)
        bytes.append(contentsOf: sequenceBytes)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Decodes a payload: when it was journaled, and the change.
    static func decodePayload(_ bytes: [UInt8], from start: Int, count: Int) throws(DecodingError) -> (Timestamp, StateChange) {
        var reader = BinaryReader(Array(bytes[start..<(start + count)]))
        let time = try reader.timestamp()
        let change = try reader.change()
        guard reader.isAtEnd else { throw DecodingError("\(count - reader.offset) bytes left after the change") }
        return (time, change)
    }
}

/// A journal record's payload — the time it was journaled and the change — as bytes, the same in
/// every journal (a file frames it; a database stores it in a column).
public enum JournalRecordCodec {
    public static func encode(time: Timestamp, change: StateChange) -> [UInt8] {
        var payload = BinaryWriter()
        payload.timestamp(time)
        payload.change(change)
        return payload.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> (time: Timestamp, change: StateChange) {
        try JournalFormat.decodePayload(bytes, from: 0, count: bytes.count)
    }
}
