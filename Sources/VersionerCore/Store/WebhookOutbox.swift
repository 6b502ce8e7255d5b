import Synchronization

/// The live ``OutboxState``: shards owe deliveries to it as they accept events, and the sender
/// takes them from it. Which deliveries are being sent right now is not kept across a restart:
/// after one, everything still owed is sent again (at least once).
public final class WebhookOutbox: Sendable {
    /// A delivery taken to be sent, with the journal sequence that must be durable first.
    public struct Taken: Sendable {
        public var delivery: PendingDelivery
        /// The change that owed it; it is sent only once that change is durable.
        public var sequence: UInt64
    }

    private struct Contents {
        var state: OutboxState
        /// The journal sequence that owed each delivery queued since the start (0: recovered, durable).
        var sequences: [EntityID: UInt64] = [:]
        var sending: Set<EntityID> = []
        var droppedTotal = 0
    }

    private let contents: Mutex<Contents>
    private let bell: AsyncStream<Void>.Continuation
    /// Rings whenever a delivery is owed; rings at most once while nobody listens.
    public let doorbell: AsyncStream<Void>

    public init(_ state: OutboxState = OutboxState()) {
        contents = Mutex(Contents(state: state))
        (doorbell, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Journals and owes deliveries in one step (so the journal's order is the outbox's).
    func queue(_ deliveries: [PendingDelivery], journal: any Journal) -> Result<UInt64, JournalError> {
        let result: Result<UInt64, JournalError> = contents.withLock { contents in
            journal.appending(.deliveriesQueued(deliveries)).map { sequence in
                let dropped = contents.state.queue(deliveries)
                contents.droppedTotal += dropped.count
                for delivery in dropped { contents.sequences[delivery.id] = nil }
                for delivery in deliveries where contents.state.contains(delivery.id) { contents.sequences[delivery.id] = sequence }
                return sequence
            }
        }
        if case .success = result { bell.yield() }
        return result
    }

    /// Journals a delivery's outcome and applies it in one step; returns the change's sequence.
    func finish(_ outcome: DeliveryOutcome, journal: any Journal) -> Result<UInt64, JournalError> {
        contents.withLock { contents in
            journal.appending(.deliveryFinished(outcome)).map { sequence in
                contents.state.finish(outcome)
                contents.sequences[outcome.deliveryID] = nil
                contents.sending.remove(outcome.deliveryID)
                return sequence
            }
        }
    }

    /// Applies a change another node journaled (or one replayed).
    func apply(_ change: StateChange) {
        contents.withLock { contents in
            switch change {
            case .deliveriesQueued(let deliveries): contents.droppedTotal += contents.state.queue(deliveries).count
            case .deliveryFinished(let outcome): contents.state.finish(outcome)
            case .webhookDeleted(let id): contents.state.removeWebhook(id)
            default: break
            }
        }
    }

    /// Takes, for each webhook, its oldest deliveries not being sent, up to `limit` being sent at
    /// once per webhook. A taken delivery is sent until it is finished, or handed back.
    public func take(limitPerWebhook limit: Int, webhooks: [EntityID]) -> [Taken] {
        contents.withLock { contents in
            var taken: [Taken] = []
            for webhook in webhooks {
                var sending = 0
                for delivery in contents.state.pending(webhookID: webhook) {
                    guard sending < limit else { break }
                    sending += 1
                    guard contents.sending.insert(delivery.id).inserted else { continue }
                    taken.append(Taken(delivery: delivery, sequence: contents.sequences[delivery.id] ?? 0))
                }
            }
            return taken
        }
    }

    /// Wakes whoever waits on the doorbell (to look again at what is owed).
    public func ring() { bell.yield() }

    /// A taken delivery was not sent (the sender stopped): it is owed as before.
    public func handBack(_ id: EntityID) {
        _ = contents.withLock { $0.sending.remove(id) }
        bell.yield()
    }

    /// Whether the delivery is still owed (it is not when its webhook was deleted or it was dropped).
    public func isOwed(_ id: EntityID) -> Bool { contents.withLock { $0.state.contains(id) } }

    /// Runs `body` on the state (to read it for a snapshot or an answer).
    public func withState<T>(_ body: (OutboxState) -> T) -> T { contents.withLock { body($0.state) } }

    /// Deliveries dropped to the pending limit since the process started.
    public var droppedTotal: Int { contents.withLock { $0.droppedTotal } }
    public var pendingCount: Int { contents.withLock { $0.state.pendingCount } }
}
