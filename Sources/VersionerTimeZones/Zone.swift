/// One zone of the IANA time zone database, read from its TZif file (RFC 8536): the UTC offset
/// in effect at any instant, and the instant a wall-clock time falls on.
public final class Zone: Sendable, Hashable, CustomStringConvertible {
    /// The IANA name, such as `Europe/Berlin`.
    public let identifier: String
    /// Transition instants (seconds since 1970, UTC), ascending.
    private let transitions: [Int64]
    /// The offset in effect from each transition on.
    private let offsetsFrom: [Int64]
    /// The offset before the first transition (the file's first local time type).
    private let initialOffset: Int64
    /// The footer's rule, for instants from the last transition on.
    private let rule: PosixZoneRule?

    public enum ParseError: Error, Equatable {
        case notTZif
        case truncated
        case inconsistent(String)
        /// The file counts leap seconds (the `right/` zones), so its instants are not UTC's.
        case leapSeconds
    }

    /// Reads a TZif file of any version, using the 64-bit data of version 2 and later.
    public init(identifier: String, tzif bytes: [UInt8]) throws(ParseError) {
        self.identifier = identifier
        var reader = ByteReader(bytes)
        var header = try reader.header()
        var timeSize = 4
        if header.version >= 2 {
            try reader.skip(header.dataLength(timeSize: 4))
            header = try reader.header()
            timeSize = 8
        }
        guard header.leapCount == 0 else { throw .leapSeconds }
        guard header.typeCount >= 1 else { throw .inconsistent("no local time types") }

        var transitions: [Int64] = []
        transitions.reserveCapacity(header.timeCount)
        for _ in 0..<header.timeCount {
            let time = timeSize == 8 ? try reader.int64() : Int64(try reader.int32())
            guard transitions.last.map({ $0 < time }) ?? true else { throw .inconsistent("transitions out of order") }
            transitions.append(time)
        }
        var typeIndices: [Int] = []
        for _ in 0..<header.timeCount {
            let index = Int(try reader.byte())
            guard index < header.typeCount else { throw .inconsistent("unknown local time type") }
            typeIndices.append(index)
        }
        var typeOffsets: [Int64] = []
        for _ in 0..<header.typeCount {
            let offset = Int64(try reader.int32())
            // RFC 8536: −89 999 … 93 599 seconds (just under −25 h … +26 h).
            guard (-89_999...93_599).contains(offset) else { throw .inconsistent("offset out of range") }
            typeOffsets.append(offset)
            try reader.skip(2)  // is-DST flag and abbreviation index: only the offset matters here
        }
        try reader.skip(header.characterCount + header.standardWallCount + header.utLocalCount)

        var rule: PosixZoneRule?
        if header.version >= 2 {
            let footer = try reader.footer()
            if !footer.isEmpty {
                guard let parsed = PosixZoneRule(footer) else { throw .inconsistent("footer is not a POSIX TZ string") }
                rule = parsed
            }
        }
        self.transitions = transitions
        self.offsetsFrom = typeIndices.map { typeOffsets[$0] }
        self.initialOffset = typeOffsets[0]
        self.rule = rule
    }

    /// A zone at a fixed offset from UTC, for all time.
    init(identifier: String, fixedOffset: Int64) {
        self.identifier = identifier
        self.transitions = []
        self.offsetsFrom = []
        self.initialOffset = fixedOffset
        self.rule = nil
    }

    /// Seconds east of UTC at `instant` (seconds since 1970, UTC).
    public func offset(at instant: Int64) -> Int64 {
        guard let last = transitions.last else { return rule?.offset(at: instant) ?? initialOffset }
        if instant >= last, let rule { return rule.offset(at: instant) }
        guard instant >= transitions[0] else { return initialOffset }
        // The last transition at or before `instant`.
        var low = 0, high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        return offsetsFrom[low - 1]
    }

    /// The instant at which the zone's wall clock shows `local` (seconds since 1970 on that
    /// clock). A time shown twice (clocks going back) is its first; a time never shown (clocks
    /// going forward) is the instant the gap ends, as the earlier offset gives it.
    public func instant(atLocal local: Int64) -> Int64 {
        let halfDay = CivilDate.secondsPerDay / 2
        let before = offset(at: local - halfDay), after = offset(at: local + halfDay)
        for candidate in [local - max(before, after), local - min(before, after)]
        where candidate + offset(at: candidate) == local {
            return candidate
        }
        return local - before
    }

    public static func == (lhs: Zone, rhs: Zone) -> Bool { lhs.identifier == rhs.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }
    public var description: String { identifier }
}

/// Big-endian reading of a TZif file.
private struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Header {
        var version: Int
        var utLocalCount, standardWallCount, leapCount, timeCount, typeCount, characterCount: Int

        /// Bytes of the data block that follows this header.
        func dataLength(timeSize: Int) -> Int {
            timeCount * (timeSize + 1) + typeCount * 6 + characterCount
                + leapCount * (timeSize + 4) + standardWallCount + utLocalCount
        }
    }

    mutating func header() throws(Zone.ParseError) -> Header {
        guard bytes.count - position >= 44, Array(bytes[position..<position + 4]) == Array("TZif".utf8) else {
            throw .notTZif
        }
        let versionByte = bytes[position + 4]
        let version = versionByte == 0 ? 1 : Int(versionByte) - Int(UInt8(ascii: "0"))
        guard (1...9).contains(version) else { throw .notTZif }
        position += 20
        var counts: [Int] = []
        for _ in 0..<6 {
            let count = Int(try int32())
            guard (0...1_000_000).contains(count) else { throw .inconsistent("implausible count") }
            counts.append(count)
        }
        return Header(version: version, utLocalCount: counts[0], standardWallCount: counts[1], leapCount: counts[2],
                      timeCount: counts[3], typeCount: counts[4], characterCount: counts[5])
    }

    mutating func skip(_ count: Int) throws(Zone.ParseError) {
        guard bytes.count - position >= count else { throw .truncated }
        position += count
    }

    mutating func byte() throws(Zone.ParseError) -> UInt8 {
        guard position < bytes.count else { throw .truncated }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func int32() throws(Zone.ParseError) -> Int32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try byte()) }
        return Int32(bitPattern: value)
    }

    mutating func int64() throws(Zone.ParseError) -> Int64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(try byte()) }
        return Int64(bitPattern: value)
    }

    /// The text between the newlines that close a version 2+ file.
    mutating func footer() throws(Zone.ParseError) -> Substring {
        guard try byte() == UInt8(ascii: "\n") else { throw .inconsistent("no footer") }
        guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else { throw .truncated }
        let text = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        return Substring(text)
    }
}
