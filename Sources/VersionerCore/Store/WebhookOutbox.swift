import Synchronization

/// The live ``OutboxState``: shards owe deliveries to it as they accept events, and the sender
/// takes them from it. Which deliveries are being sent right now is not kept across a restart:
/// after one, everything still owed is sent again (at least once).
public final class WebhookOutbox: Sendable {
    /// A delivery taken to be sent, with the journal sequence that must be durable first.
    public struct Taken: Sendable {
        public var delivery: PendingDelivery
        /// The last change that owed a delivery when this one was taken: it or an earlier one
        /// owed this delivery, which is sent only once that change is durable.
        public var sequence: UInt64
    }

    /// Deliveries under way at once for one webhook.
    public static let concurrency = 4

    private struct Contents {
        var state: OutboxState
        /// The journal sequence of the last change that owed deliveries since the start (0: none;
        /// what was recovered is durable). Waiting for it before a send costs at most a group
        /// commit, and spares a sequence kept per delivery.
        var lastOwed: UInt64 = 0
        /// The deliveries being sent, each with its webhook, and how many each webhook has under way.
        var sending: [EntityID: EntityID] = [:]
        var sendingCount: [EntityID: Int] = [:]
        var droppedTotal = 0

        mutating func stopSending(_ id: EntityID) {
            guard let webhook = sending.removeValue(forKey: id) else { return }
            sendingCount[webhook, default: 1] -= 1
            if sendingCount[webhook] == 0 { sendingCount[webhook] = nil }
        }
    }

    private let contents: Mutex<Contents>
    private let bell: AsyncStream<Void>.Continuation
    /// Rings when a delivery is owed to a webhook with room for one more under way, when one
    /// finishes, and on ``ring()``; rings at most once while nobody listens.
    public let doorbell: AsyncStream<Void>

    public init(_ state: OutboxState = OutboxState()) {
        contents = Mutex(Contents(state: state))
        (doorbell, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Journals `change` (the event that owes `deliveries`) and owes them in one step, so that
    /// the journal's order is the outbox's. The change is encoded before the lock: every shard
    /// owing deliveries takes it.
    func queue(_ deliveries: [PendingDelivery], journaling change: StateChange, in journal: any Journal) -> Result<UInt64, JournalError> {
        let prepared = journal.prepare(change)
        let result: Result<(UInt64, Bool), JournalError> = contents.withLock { contents in
            journal.appending(prepared: prepared).map { sequence in
                contents.droppedTotal += contents.state.queue(deliveries)
                contents.lastOwed = sequence
                // A webhook with all its deliveries under way takes the next when one finishes.
                let room = deliveries.contains { contents.sendingCount[$0.webhookID, default: 0] < Self.concurrency }
                return (sequence, room)
            }
        }
        return result.map { sequence, room in
            if room { bell.yield() }
            return sequence
        }
    }

    /// Journals a delivery's outcome and applies it in one step; returns the change's sequence.
    func finish(_ outcome: DeliveryOutcome, journal: any Journal) -> Result<UInt64, JournalError> {
        let prepared = journal.prepare(.deliveryFinished(outcome))
        let result: Result<UInt64, JournalError> = contents.withLock { contents in
            journal.appending(prepared: prepared).map { sequence in
                contents.state.finish(outcome)
                contents.stopSending(outcome.deliveryID)
                return sequence
            }
        }
        bell.yield()
        return result
    }

    /// Applies a change another node journaled, or a webhook's deletion.
    func apply(_ change: StateChange) {
        contents.withLock { contents in
            switch change {
            case .deliveriesQueued(let deliveries):
                contents.droppedTotal += contents.state.queue(deliveries)
            case .deliveryFinished(let outcome):
                contents.state.finish(outcome)
            case .webhookDeleted(let id):
                contents.state.removeWebhook(id)
            default:
                break
            }
        }
    }

    /// Takes, for each webhook, its oldest deliveries not being sent, up to ``concurrency`` under
    /// way per webhook. A taken delivery is sent until it is finished, or handed back.
    public func take(webhooks: [EntityID]) -> [Taken] {
        contents.withLock { contents in
            var taken: [Taken] = []
            for webhook in webhooks {
                var room = Self.concurrency - contents.sendingCount[webhook, default: 0]
                guard room > 0 else { continue }
                for delivery in contents.state.pending(webhookID: webhook) where contents.sending[delivery.id] == nil {
                    contents.sending[delivery.id] = webhook
                    contents.sendingCount[webhook, default: 0] += 1
                    taken.append(Taken(delivery: delivery, sequence: contents.lastOwed))
                    room -= 1
                    if room == 0 { break }
                }
            }
            return taken
        }
    }

    /// Wakes whoever waits on the doorbell (to look again at what is owed).
    public func ring() { bell.yield() }

    /// A taken delivery was not sent (the sender stopped, or it is owed no more): it is no
    /// longer under way.
    public func handBack(_ id: EntityID) {
        contents.withLock { $0.stopSending(id) }
        bell.yield()
    }

    /// Runs `body` on the state (to read it for a snapshot or an answer).
    public func withState<T>(_ body: (OutboxState) -> T) -> T { contents.withLock { body($0.state) } }

    /// Deliveries dropped to the pending limit since the process started.
    public var droppedTotal: Int { contents.withLock { $0.droppedTotal } }
    public var pendingCount: Int { contents.withLock { $0.state.pendingCount } }
}
