import Synchronization

/// A 128-bit identifier written as a UUID string (`0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e`).
///
/// Versioner issues UUIDv7 values from one monotonic generator, so ordering ids orders things by
/// the time they were created: lists sort by id for "newest first".
public struct EntityID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func < (lhs: EntityID, rhs: EntityID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The lowercase hyphenated form, 36 characters.
    public var uuidString: String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        appendUUID(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the 36 bytes of ``uuidString`` (no intermediate string: responses write many ids).
    public func appendUUID(to out: inout [UInt8]) {
        func nibble(_ value: UInt64) -> UInt8 {
            value < 10 ? UInt8(ascii: "0") + UInt8(value) : UInt8(ascii: "a") + UInt8(value - 10)
        }
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 { out.append(UInt8(ascii: "-")) }
            out.append(nibble((high >> UInt64(shift)) & 0xF))
        }
        out.append(UInt8(ascii: "-"))
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 4 { out.append(UInt8(ascii: "-")) }
            out.append(nibble((low >> UInt64(shift)) & 0xF))
        }
    }

    public var description: String { uuidString }

    /// Parses the hyphenated form (either case). Returns nil for anything else.
    public init?(uuidString text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return nil }
        var words: [UInt64] = [0, 0]
        var nibbles = 0
        for (position, byte) in bytes.enumerated() {
            if position == 8 || position == 13 || position == 18 || position == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            let word = nibbles / 16
            words[word] = words[word] << 4 | UInt64(value)
            nibbles += 1
        }
        self.init(high: words[0], low: words[1])
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * $0)) }
    }

    /// Rebuilds an id from the 16 bytes of ``bytes``.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }
}

/// Issues UUIDv7 ids (RFC 9562) that strictly increase, across all threads.
///
/// The 48-bit millisecond timestamp leads; the 74 bits after it are random when the millisecond
/// changes and are incremented within the same millisecond (RFC 9562 §6.2, method 2), so that ids
/// issued later always compare greater even when the clock stalls or steps back.
public final class IDGenerator: Sendable {
    private struct State {
        var milliseconds: UInt64 = 0
        var counter: (UInt64, UInt64) = (0, 0)  // 12 bits, 62 bits
        var random = SystemRandomNumberGenerator()
    }
    private let state = Mutex(State())
    private let clock: any WallClock

    /// - Parameter after: every id issued will be greater than this one.
    public init(clock: any WallClock = SystemWallClock(), after: EntityID? = nil) {
        self.clock = clock
        if let after {
            state.withLock { state in
                state.milliseconds = after.high >> 16
                state.counter = (after.high & 0xFFF, after.low & 0x3FFF_FFFF_FFFF_FFFF)
            }
        }
    }

    /// Makes every id issued from now on greater than `id` too (one issued by another node, whose
    /// clock may run ahead of this one's).
    public func advance(past id: EntityID) {
        state.withLock { state in
            let milliseconds = id.high >> 16
            let counter = (id.high & 0xFFF, id.low & 0x3FFF_FFFF_FFFF_FFFF)
            if milliseconds > state.milliseconds
                || (milliseconds == state.milliseconds && (counter.0, counter.1) > (state.counter.0, state.counter.1)) {
                state.milliseconds = milliseconds
                state.counter = counter
            }
        }
    }

    /// The next id; greater than every id this generator issued before.
    public func next() -> EntityID {
        let now = UInt64(max(0, clock.now().microseconds / 1000))
        return state.withLock { state in
            if now > state.milliseconds {
                state.milliseconds = now
                // Leave the top bit of the 12-bit part clear so a millisecond has room to count.
                state.counter = (state.random.next() & 0x7FF, state.random.next() & 0x3FFF_FFFF_FFFF_FFFF)
            } else {
                var (a, b) = state.counter
                b += 1
                if b > 0x3FFF_FFFF_FFFF_FFFF {
                    b = 0
                    a += 1
                    if a > 0xFFF {
                        a = 0
                        state.milliseconds += 1
                    }
                }
                state.counter = (a, b)
            }
            let high = (state.milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | state.counter.0
            let low = 0x8000_0000_0000_0000 | state.counter.1
            return EntityID(high: high, low: low)
        }
    }
}
