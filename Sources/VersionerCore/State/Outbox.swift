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
/// fold into. The same changes in the same order give the same outbox, whoever applies them.
/// Each delivery is owed once: a replay over a snapshot leaves out those the snapshot owes
/// already (``ReplayState`` in the store does). A finish applies idempotently.
public struct OutboxState: Sendable {
    /// How many deliveries one webhook may owe; past it, the oldest is dropped.
    public static let pendingLimit = 10_000
    /// How many outcomes of each webhook the deliveries log keeps.
    public static let logLimit = 100

    private struct Queue {
        /// Oldest first from `head` (taken ones before it are spent).
        var items: [PendingDelivery] = []
        var head = 0
        /// Deliveries lost to the pending limit since this state began.
        var dropped = 0
        var count: Int { items.count - head }
        var live: ArraySlice<PendingDelivery> { items[head...] }

        mutating func compact() {
            guard head > 1_024, head * 2 > items.count else { return }
            items.removeFirst(head)
            head = 0
        }

        /// Appends a delivery; past the limit, drops the oldest. Returns how many it dropped.
        mutating func append(_ delivery: PendingDelivery) -> Int {
            items.append(delivery)
            guard count > OutboxState.pendingLimit else { return 0 }
            let droppedNow = count - OutboxState.pendingLimit
            head += droppedNow
            dropped += droppedNow
            compact()
            return droppedNow
        }

        /// Removes a delivery still owed; false when it is not.
        mutating func remove(_ id: EntityID) -> Bool {
            // Mostly the oldest; a later one when several are sent at once.
            if head < items.count, items[head].id == id {
                head += 1
            } else if let index = items[head...].firstIndex(where: { $0.id == id }) {
                items.remove(at: index)
            } else {
                return false
            }
            compact()
            return true
        }
    }

    /// Each webhook's queue; one that owes nothing stays while it counts drops.
    private var queues: [EntityID: Queue] = [:]
    public private(set) var pendingCount = 0
    /// Each webhook's last outcomes, oldest first.
    public private(set) var logs: [EntityID: [DeliveryOutcome]] = [:]

    /// How many deliveries a webhook lost to the pending limit since this state began.
    public func dropped(webhookID: EntityID) -> Int { queues[webhookID]?.dropped ?? 0 }

    public init() {}

    /// Every delivery owed, oldest first per webhook.
    public var pending: [PendingDelivery] { queues.keys.sorted().flatMap { queues[$0]!.live } }
    public func pendingCount(webhookID: EntityID) -> Int { queues[webhookID]?.count ?? 0 }
    /// Whether a delivery is owed (a search of every queue).
    public func contains(_ id: EntityID) -> Bool { queues.values.contains { $0.live.contains { $0.id == id } } }

    /// The deliveries a webhook owes, oldest first.
    public func pending(webhookID: EntityID) -> ArraySlice<PendingDelivery> { queues[webhookID]?.live ?? [] }

    /// Owes `deliveries`; returns how many owed ones it dropped to make room (the oldest, past the limit).
    @discardableResult
    public mutating func queue(_ deliveries: [PendingDelivery]) -> Int {
        var droppedNow = 0
        for delivery in deliveries {
            // In place: the queue stays uniquely held, so appending copies nothing.
            droppedNow += queues[delivery.webhookID, default: Queue()].append(delivery)
        }
        pendingCount += deliveries.count - droppedNow
        return droppedNow
    }

    /// A delivery is done (delivered, or given up on): it is owed no more, and its outcome is logged.
    public mutating func finish(_ outcome: DeliveryOutcome) {
        if queues[outcome.webhookID]?.remove(outcome.deliveryID) == true { pendingCount -= 1 }
        var log = logs[outcome.webhookID] ?? []
        guard !log.contains(where: { $0.deliveryID == outcome.deliveryID }) else { return }
        log.append(outcome)
        if log.count > Self.logLimit { log.removeFirst(log.count - Self.logLimit) }
        logs[outcome.webhookID] = log
    }

    /// A webhook deleted: nothing is owed to it, and its log goes.
    public mutating func removeWebhook(_ id: EntityID) {
        pendingCount -= queues.removeValue(forKey: id)?.count ?? 0
        logs[id] = nil
    }

    /// A logged outcome, restored from a snapshot.
    public mutating func restoreLog(_ outcome: DeliveryOutcome) {
        logs[outcome.webhookID, default: []].append(outcome)
    }
}
