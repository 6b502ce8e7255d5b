import Synchronization
import VersionerCore

/// The journal as one node's tracker sees it: while the node follows the shared journal, changes
/// arrive from the database and nothing may be appended here; once it owns the journal, appends
/// go to its ``PostgresJournal``. The tracker stays the same across a takeover: its state is
/// already caught up.
final class NodeJournal: Journal {
    private enum Mode {
        /// Following: the last sequence applied.
        case following(UInt64)
        case owning(PostgresJournal)
    }

    private let mode: Mutex<Mode>
    /// The bytes of the last record followed, to check against the journal after a failover.
    private let lastRecord: Mutex<[UInt8]?>

    init(following applied: UInt64, lastRecord: [UInt8]? = nil) {
        mode = Mutex(.following(applied))
        self.lastRecord = Mutex(lastRecord)
    }

    /// The last record followed, when one was (not when the state came from a snapshot alone).
    var lastFollowedRecord: [UInt8]? { lastRecord.withLock { $0 } }

    /// Records that the change at `sequence` (the next one), journaled as `record`, has been applied here.
    func markApplied(_ sequence: UInt64, record: [UInt8]) {
        lastRecord.withLock { $0 = record }
        markApplied(sequence)
    }

    /// The journal this node appends to, once it owns one.
    var owned: PostgresJournal? {
        mode.withLock { mode in
            if case .owning(let journal) = mode { return journal }
            return nil
        }
    }

    /// Records that the change at `sequence` (the next one) has been applied here.
    func markApplied(_ sequence: UInt64) {
        mode.withLock { mode in
            if case .following = mode { mode = .following(sequence) }
        }
    }

    /// From now on this node appends, after everything it has applied.
    func own(_ journal: PostgresJournal) {
        mode.withLock { $0 = .owning(journal) }
    }

    var lastSequence: UInt64 {
        mode.withLock { mode in
            switch mode {
            case .following(let applied): applied
            case .owning(let journal): journal.lastSequence
            }
        }
    }

    func append(_ change: StateChange) throws(JournalError) -> UInt64 {
        let journal: PostgresJournal? = owned
        guard let journal else { throw JournalError("this node does not own the journal: another node takes writes") }
        return try journal.append(change)
    }

    func waitDurable(_ sequence: UInt64) async throws(JournalError) {
        if let journal = owned {
            try await journal.waitDurable(sequence)
        } else if sequence > lastSequence {
            throw JournalError("this node does not own the journal: change \(sequence) is not here yet")
        }
    }
}
