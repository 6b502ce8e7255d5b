/// A fixed number of optional strings kept back to back in one byte array.
///
/// Events, deployments and versions keep their text fields this way. A `String?` field costs
/// 16 bytes inline, plus a heap allocation of its own when longer than 15 bytes (a SHA, a URL);
/// a state of a million deployments holds tens of millions of them. Packed, a record's text is
/// one allocation, and a deployment made by one event shares that event's buffer outright.
///
/// Layout: for each field in order, a LEB128 varint of `length + 1` (0 for nil), then the UTF-8
/// bytes. The encoding is canonical, so equal fields give equal bytes.
public struct PackedStrings: Hashable, Sendable {
    private var bytes: [UInt8]

    /// Packs `fields` in order; the field numbers of the other methods index into this list.
    public init(_ fields: [String?]) {
        var size = 0
        for field in fields {
            let length = field?.utf8.count ?? -1
            size += Self.varintSize(length + 1) + max(length, 0)
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(size)
        for field in fields {
            Self.append(field, to: &bytes)
        }
        self.bytes = bytes
    }

    /// Packed text read back from storage, or nil when `bytes` is not a whole sequence of fields
    /// (a varint running past the end or longer than needed, a length past the end, or text
    /// that is not UTF-8): equal fields must give equal bytes.
    public init?(validating bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let varintStart = offset
            var value = 0
            var shift = 0
            while true {
                guard offset < bytes.count, shift < 35 else { return nil }
                let byte = bytes[offset]
                value |= Int(byte & 0x7F) << shift
                offset += 1
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            guard offset - varintStart == Self.varintSize(value) else { return nil }
            let length = max(value - 1, 0)
            guard length <= bytes.count - offset else { return nil }
            guard String(validating: bytes[offset..<(offset + length)], as: UTF8.self) != nil else { return nil }
            offset += length
        }
        self.bytes = bytes
    }

    /// The packed bytes, as ``init(validating:)`` reads them.
    public var encoded: [UInt8] { bytes }

    /// Field `index`, or nil when absent (or when the record has fewer fields).
    public subscript(index: Int) -> String? {
        get {
            guard let range = range(of: index) else { return nil }
            return bytes.withUnsafeBufferPointer { buffer in
                String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
            }
        }
        set {
            var fields = all(upTo: max(index + 1, fieldCount))
            fields[index] = newValue
            self = PackedStrings(fields)
        }
    }

    /// Whether field `index` is present.
    public func contains(_ index: Int) -> Bool { range(of: index) != nil }

    /// These fields, with each field in `range` taken from `self` when present there, else from
    /// `other`: an event's fields laid over the record it updates.
    public func filling(from other: PackedStrings, fields range: Range<Int>) -> PackedStrings {
        var ownFields = all(upTo: max(range.upperBound, fieldCount))
        for index in range where ownFields[index] == nil {
            ownFields[index] = other[index]
        }
        return PackedStrings(ownFields)
    }

    /// Whether the fields in `range` of both are equal (a field past a text's end reads as absent).
    public func equals(_ other: PackedStrings, fields range: Range<Int>) -> Bool {
        if let mine = byteRange(ofFields: range), let theirs = other.byteRange(ofFields: range) {
            return bytes[mine] == other.bytes[theirs]  // canonical encoding: equal fields, equal bytes
        }
        return range.allSatisfy { self[$0] == other[$0] }
    }

    /// Whether both use one and the same buffer (shared, not merely equal).
    func isSameBuffer(as other: PackedStrings) -> Bool {
        bytes.withUnsafeBufferPointer { mine in
            other.bytes.withUnsafeBufferPointer { theirs in mine.baseAddress == theirs.baseAddress }
        }
    }

    /// One bit per field among the first 32, set when the field is present.
    var presentFields: UInt32 {
        var mask: UInt32 = 0
        var offset = 0
        var field = 0
        while offset < bytes.count, field < 32 {
            let (value, next) = readVarint(at: offset)
            if value != 0 { mask |= 1 << field }
            offset = next + max(value - 1, 0)
            field += 1
        }
        return mask
    }

    /// The number of fields stored.
    public var fieldCount: Int {
        var count = 0
        var offset = 0
        while offset < bytes.count {
            let (value, next) = readVarint(at: offset)
            offset = next + max(value - 1, 0)
            count += 1
        }
        return count
    }

    // MARK: Layout

    private func all(upTo count: Int) -> [String?] {
        (0..<count).map { self[$0] }
    }

    /// Where field `index`'s bytes are, or nil when it is absent.
    private func range(of index: Int) -> Range<Int>? {
        var offset = 0
        var field = 0
        while offset < bytes.count {
            let (value, start) = readVarint(at: offset)
            let length = max(value - 1, 0)
            if field == index { return value == 0 ? nil : start..<(start + length) }
            offset = start + length
            field += 1
        }
        return nil
    }

    /// Where the fields in `range` are, or nil when the text ends before `range` does.
    private func byteRange(ofFields range: Range<Int>) -> Range<Int>? {
        var offset = 0
        var start = 0
        for field in 0..<range.upperBound {
            if field == range.lowerBound { start = offset }
            guard offset < bytes.count else { return nil }
            let (value, next) = readVarint(at: offset)
            offset = next + max(value - 1, 0)
        }
        return range.isEmpty ? offset..<offset : start..<offset
    }

    private func readVarint(at offset: Int) -> (value: Int, next: Int) {
        var value = 0
        var shift = 0
        var index = offset
        while true {
            let byte = bytes[index]
            value |= Int(byte & 0x7F) << shift
            index += 1
            if byte & 0x80 == 0 { return (value, index) }
            shift += 7
        }
    }

    private static func varintSize(_ value: Int) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 { size += 1; rest >>= 7 }
        return size
    }

    private static func append(_ field: String?, to bytes: inout [UInt8]) {
        guard var field else { bytes.append(0); return }
        var value = field.utf8.count + 1
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        field.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
