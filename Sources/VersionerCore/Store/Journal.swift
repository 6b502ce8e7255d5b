import Synchronization

/// Where accepted changes go before they are acknowledged.
///
/// `append` only hands the change over and returns its sequence number: it is called inside a
/// shard's actor turn and must not block on I/O. `waitDurable` suspends until that change (and
/// every one before it) is durable; a write is answered only after it returns.
public protocol Journal: Sendable {
    /// Hands a change over; sequence numbers start at 1 and increase by one.
    func append(_ change: StateChange) throws(JournalError) -> UInt64
    /// Returns once the change with this sequence number is durable.
    func waitDurable(_ sequence: UInt64) async throws(JournalError)
    /// The sequence number of the last change handed over (0 before the first).
    var lastSequence: UInt64 { get }
    /// Does the part of appending that needs no order — encoding the change — ahead of
    /// ``append(prepared:)``, so that a caller appending under a lock of its own holds it briefly.
    func prepare(_ change: StateChange) -> PreparedChange
    /// Hands over a change made ready by ``prepare(_:)`` (of this journal or another of its kind).
    func append(prepared: PreparedChange) throws(JournalError) -> UInt64
}

/// A change ready to append: for a journal that stores bytes, its record already encoded.
public struct PreparedChange: Sendable {
    public let change: StateChange
    /// The journal's record of the change, if the journal encodes one ahead.
    public let record: [UInt8]?

    public init(_ change: StateChange, record: [UInt8]? = nil) {
        self.change = change
        self.record = record
    }
}

/// The journal can no longer accept or persist changes.
public struct JournalError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// A journal that keeps changes in memory: durable as soon as appended, gone when the process ends.
/// Its `changes` replay into an identical state, which tests rely on.
public final class InMemoryJournal: Journal {
    private let stored = Mutex<[StateChange]>([])

    public init() {}

    public func append(_ change: StateChange) throws(JournalError) -> UInt64 {
        stored.withLock { changes in
            changes.append(change)
            return UInt64(changes.count)
        }
    }

    public func waitDurable(_ sequence: UInt64) async throws(JournalError) {}

    public var lastSequence: UInt64 { stored.withLock { UInt64($0.count) } }

    /// Every change appended so far, in order.
    public var changes: [StateChange] { stored.withLock { $0 } }
}

extension Journal {
    /// A journal that does nothing ahead appends the change as it is.
    public func prepare(_ change: StateChange) -> PreparedChange { PreparedChange(change) }
    public func append(prepared: PreparedChange) throws(JournalError) -> UInt64 { try append(prepared.change) }

    /// ``append(prepared:)`` as a result, for callers inside closures that cannot throw typed errors.
    func appending(prepared: PreparedChange) -> Result<UInt64, JournalError> {
        do {
            return .success(try append(prepared: prepared))
        } catch {
            return .failure(error)
        }
    }

    /// ``append(_:)`` as a result, for callers inside closures that cannot throw typed errors.
    func appending(_ change: StateChange) -> Result<UInt64, JournalError> { appending(prepared: PreparedChange(change)) }
}
