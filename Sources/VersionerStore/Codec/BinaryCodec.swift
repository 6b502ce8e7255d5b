import VersionerCore

/// Appends values in Versioner's compact binary encoding (see `snapshots/README.md`):
/// unsigned integers as LEB128 varints, signed ones zigzag-encoded, strings as a varint byte
/// length and UTF-8, optionals behind a 0/1 byte, ids as 16 big-endian bytes.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func uvarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func varint(_ value: Int64) {
        uvarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func count(_ value: Int) {
        uvarint(UInt64(value))
    }

    /// Leaves room for a count known only later (``patchCount(_:at:)``): five bytes of LEB128,
    /// which any reader of a uvarint takes (a longer form than needed is still the same number).
    mutating func countPlaceholder() -> Int {
        defer { bytes.append(contentsOf: [0x80, 0x80, 0x80, 0x80, 0x00]) }
        return bytes.count
    }

    mutating func patchCount(_ value: Int, at offset: Int) {
        precondition(value < 1 << 35, "a count too large for its placeholder")
        for index in 0..<5 {
            let group = UInt8(truncatingIfNeeded: value >> (7 * index)) & 0x7F
            bytes[offset + index] = index < 4 ? group | 0x80 : group
        }
    }

    mutating func bool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    mutating func bytes(_ value: [UInt8]) {
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            uvarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func string(_ value: String?) {
        if let value {
            bytes.append(1)
            string(value)
        } else {
            bytes.append(0)
        }
    }

    mutating func id(_ value: EntityID) {
        fixed64(value.high)
        fixed64(value.low)
    }

    mutating func fixed64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    mutating func timestamp(_ value: Timestamp) {
        varint(value.microseconds)
    }

    mutating func timestamp(_ value: Timestamp?) {
        if let value {
            bytes.append(1)
            timestamp(value)
        } else {
            bytes.append(0)
        }
    }

    mutating func json(_ value: RawJSONObject) {
        string(value.text)
    }

    mutating func json(_ value: RawJSONObject?) {
        string(value?.text)
    }
}

/// Why bytes could not be decoded.
public struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) {
        self.description = description
    }
}

/// Reads what ``BinaryWriter`` wrote; every read checks bounds and throws on malformed input.
struct BinaryReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(DecodingError) -> UInt8 {
        guard offset < bytes.count else { throw DecodingError("unexpected end of data at byte \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uvarint() throws(DecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw DecodingError("varint too long at byte \(offset)") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func varint() throws(DecodingError) -> Int64 {
        let raw = try uvarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A count of items that follow; bounded by the bytes left, so garbage cannot ask for a huge allocation.
    mutating func count() throws(DecodingError) -> Int {
        let value = try uvarint()
        guard value <= UInt64(bytes.count - offset) else { throw DecodingError("count \(value) exceeds the data at byte \(offset)") }
        return Int(value)
    }

    mutating func bytes(_ count: Int) throws(DecodingError) -> [UInt8] {
        guard offset + count <= bytes.count else { throw DecodingError("unexpected end of data at byte \(offset)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func bool() throws(DecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw DecodingError("invalid boolean \(other) at byte \(offset - 1)")
        }
    }

    /// A string, its UTF-8 validated. Recovery decodes millions of them: the bytes are read in
    /// place, and ASCII (nearly every string) skips the general validation.
    mutating func string() throws(DecodingError) -> String {
        let length = try count()  // within the data
        let start = offset
        let text: String? = bytes.withUnsafeBufferPointer { all in
            let utf8 = UnsafeBufferPointer(rebasing: all[start..<(start + length)])
            if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }
        guard let text else { throw DecodingError("invalid UTF-8 at byte \(offset)") }
        offset += length
        return text
    }

    mutating func optionalString() throws(DecodingError) -> String? {
        try bool() ? try string() : nil
    }

    mutating func fixed64() throws(DecodingError) -> UInt64 {
        guard offset + 8 <= bytes.count else { throw DecodingError("unexpected end of data at byte \(offset)") }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return value
    }

    mutating func id() throws(DecodingError) -> EntityID {
        EntityID(high: try fixed64(), low: try fixed64())
    }

    mutating func timestamp() throws(DecodingError) -> Timestamp {
        Timestamp(microseconds: try varint())
    }

    mutating func optionalTimestamp() throws(DecodingError) -> Timestamp? {
        try bool() ? try timestamp() : nil
    }

    mutating func json() throws(DecodingError) -> RawJSONObject {
        // The text was serialised by RawJSONObject and is covered by a checksum: keep it as is.
        let text = try string()
        guard text.utf8.first == UInt8(ascii: "{"), text.utf8.last == UInt8(ascii: "}") else {
            throw DecodingError("invalid JSON object before byte \(offset)")
        }
        return RawJSONObject(serializedText: text)
    }

    mutating func optionalJSON() throws(DecodingError) -> RawJSONObject? {
        try bool() ? try json() : nil
    }

    mutating func status() throws(DecodingError) -> Status {
        let raw = try byte()
        guard let status = Status.allCases.first(where: { $0.code == raw }) else { throw DecodingError("invalid status \(raw)") }
        return status
    }

    mutating func environmentType() throws(DecodingError) -> EnvironmentType {
        let raw = try byte()
        guard Int(raw) < EnvironmentType.allCases.count else { throw DecodingError("invalid environment type \(raw)") }
        return EnvironmentType.allCases[Int(raw)]
    }
}

extension Status {
    /// The byte that stands for this status on disk; never renumber.
    var code: UInt8 {
        switch self {
        case .pending: return 0
        case .started: return 1
        case .completed: return 2
        case .failed: return 3
        case .aborted: return 4
        }
    }
}

extension EnvironmentType {
    /// The byte that stands for this type on disk (its position in `allCases`); never reorder.
    var code: UInt8 { UInt8(EnvironmentType.allCases.firstIndex(of: self)!) }
}
