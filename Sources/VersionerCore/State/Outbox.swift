/// One delivery owed to a webhook: an accepted event it is to be told about.
public struct PendingDelivery: Hashable, Sendable {
    /// Sent as `X-Versioner-Delivery`: the same in every attempt and after a restart, so a
    /// receiver can tell a repeat.
    public var id: EntityID
    public var webhookID: EntityID
    public var productID: EntityID
    public var eventID: EntityID

    public init(id: EntityID, webhookID: EntityID, productID: EntityID, eventID: EntityID) {
        self.id = id
        self.webhookID = webhookID
        self.productID = productID
        self.eventID = eventID
    }
}

/// One try at sending a delivery: when, what came back, how long it took.
public struct DeliveryAttempt: Hashable, Sendable {
    public var at: Timestamp
    /// The receiver's HTTP status; nil when no answer came.
    public var statusCode: Int?
    /// Why no answer came (a refused connection, a timeout); nil when one did.
    public var error: String?
    public var durationMicroseconds: Int64

    public init(at: Timestamp, statusCode: Int?, error: String?, durationMicroseconds: Int64) {
        self.at = at
        self.statusCode = statusCode
        self.error = error
        self.durationMicroseconds = durationMicroseconds
    }

    /// A 2xx answer.
    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// What became of a delivery: its attempts, the last of which decided.
public struct DeliveryOutcome: Hashable, Sendable {
    public var deliveryID: EntityID
    public var webhookID: EntityID
    /// The event delivered; nil for a test delivery.
    public var eventID: EntityID?
    public var eventType: String
    public var attempts: [DeliveryAttempt]

    public init(deliveryID: EntityID, webhookID: EntityID, eventID: EntityID?, eventType: String, attempts: [DeliveryAttempt]) {
        self.deliveryID = deliveryID
        self.webhookID = webhookID
        self.eventID = eventID
        self.eventType = eventType
        self.attempts = attempts
    }

    public var succeeded: Bool { attempts.last?.succeeded ?? false }
}

/// The deliveries owed to webhooks and the last ones made: what the journal's delivery changes
/// fold into. Every change applies idempotently (a snapshot may hold it already), and the same
/// changes in the same order give the same outbox, whoever applies them.
public struct OutboxState: Sendable {
    /// How many deliveries one webhook may owe; past it, the oldest is dropped.
    public static let pendingLimit = 10_000
    /// How many outcomes of each webhook the deliveries log keeps.
    public static let logLimit = 100

    private struct Queue {
        /// Oldest first from `head` (taken ones before it are spent).
        var items: [PendingDelivery] = []
        var head = 0
        var count: Int { items.count - head }
        var live: ArraySlice<PendingDelivery> { items[head...] }

        mutating func compact() {
            guard head > 1_024, head * 2 > items.count else { return }
            items.removeFirst(head)
            head = 0
        }

        /// Appends a delivery; past the limit, drops the oldest still owed into `dropped`.
        mutating func append(_ delivery: PendingDelivery, pendingIDs: inout Set<EntityID>, dropped: inout [PendingDelivery]) {
            items.append(delivery)
            while count > OutboxState.pendingLimit {
                let oldest = items[head]
                head += 1
                if pendingIDs.remove(oldest.id) != nil { dropped.append(oldest) }
            }
            compact()
        }
    }

    private var queues: [EntityID: Queue] = [:]
    /// The delivery ids owed, to apply a change twice harmlessly.
    private var pendingIDs: Set<EntityID> = []
    /// Each webhook's last outcomes, oldest first.
    public private(set) var logs: [EntityID: [DeliveryOutcome]] = [:]
    /// Deliveries each webhook lost to the pending limit since this state began.
    public private(set) var dropped: [EntityID: Int] = [:]

    public init() {}

    /// Every delivery owed, oldest first per webhook.
    public var pending: [PendingDelivery] { queues.keys.sorted().flatMap { queues[$0]!.live } }
    public var pendingCount: Int { pendingIDs.count }
    public func pendingCount(webhookID: EntityID) -> Int { queues[webhookID]?.count ?? 0 }
    public func contains(_ id: EntityID) -> Bool { pendingIDs.contains(id) }

    /// The deliveries a webhook owes, oldest first.
    public func pending(webhookID: EntityID) -> ArraySlice<PendingDelivery> { queues[webhookID]?.live ?? [] }

    /// Owes `deliveries`; returns the ones dropped to make room (the oldest, past the limit).
    @discardableResult
    public mutating func queue(_ deliveries: [PendingDelivery]) -> [PendingDelivery] {
        var droppedNow: [PendingDelivery] = []
        for delivery in deliveries where pendingIDs.insert(delivery.id).inserted {
            // In place: the queue stays uniquely held, so appending copies nothing.
            queues[delivery.webhookID, default: Queue()].append(delivery, pendingIDs: &pendingIDs, dropped: &droppedNow)
        }
        for delivery in droppedNow { dropped[delivery.webhookID, default: 0] += 1 }
        return droppedNow
    }

    /// A delivery is done (delivered, or given up on): it is owed no more, and its outcome is logged.
    public mutating func finish(_ outcome: DeliveryOutcome) {
        if pendingIDs.remove(outcome.deliveryID) != nil, var queue = queues.removeValue(forKey: outcome.webhookID) {
            // Mostly the oldest; a later one when several are sent at once.
            if queue.head < queue.items.count, queue.items[queue.head].id == outcome.deliveryID {
                queue.head += 1
            } else if let index = queue.items[queue.head...].firstIndex(where: { $0.id == outcome.deliveryID }) {
                queue.items.remove(at: index)
            }
            queue.compact()
            if queue.count > 0 { queues[outcome.webhookID] = queue }
        }
        var log = logs[outcome.webhookID] ?? []
        guard !log.contains(where: { $0.deliveryID == outcome.deliveryID }) else { return }
        log.append(outcome)
        if log.count > Self.logLimit { log.removeFirst(log.count - Self.logLimit) }
        logs[outcome.webhookID] = log
    }

    /// A webhook deleted: nothing is owed to it, and its log goes.
    public mutating func removeWebhook(_ id: EntityID) {
        for delivery in queues.removeValue(forKey: id)?.live ?? [] { pendingIDs.remove(delivery.id) }
        logs[id] = nil
        dropped[id] = nil
    }

    /// A logged outcome, restored from a snapshot.
    public mutating func restoreLog(_ outcome: DeliveryOutcome) {
        logs[outcome.webhookID, default: []].append(outcome)
    }
}
