import Synchronization

/// Accepted events as they become durable, for live consumers (`GET /events/stream`).
///
/// The feed keeps a bounded window of the most recent events, in the order they were
/// acknowledged, so that a consumer that reconnects resumes right after the last event it saw,
/// losing and repeating nothing. Each consumer has a bounded queue of its own: one that falls
/// too far behind is cut off (its subscription ends after the events it was still owed; it
/// resumes from the window) rather than buffered without bound.
///
/// A consumer takes what is queued for it in batches: publishing only appends to the queues and
/// rings each consumer's doorbell, so a hundred consumers cost an event a hundred appends, and a
/// consumer that is busy writing takes every event that arrived meanwhile at once.
public final class EventFeed: Sendable {
    /// One accepted event and the journal sequence of its change. A class: every consumer's
    /// queue holds the same item, and queueing it costs one reference instead of a copy of the
    /// event's every string.
    public final class Item: Sendable {
        public let sequence: UInt64
        public let event: EventView
        /// The event as consumers send it, made by the first that needs it and shared by all.
        public let message = Memo()

        public init(sequence: UInt64, event: EventView) {
            self.sequence = sequence
            self.event = event
        }
    }

    /// A value made once, on first use, and shared.
    public final class Memo: Sendable {
        private let value = Mutex<[UInt8]?>(nil)

        public func get(_ make: () -> [UInt8]) -> [UInt8] {
            value.withLock { value in
                if let made = value { return made }
                let made = make()
                value = made
                return made
            }
        }
    }

    /// What a consumer takes at once.
    public struct Batch: Sendable {
        /// The events queued for it, oldest first.
        public var events: [Item] = []
        /// Whether a heartbeat is due (see ``Subscription/beat()``).
        public var heartbeat = false
        /// Whether the subscription has ended (cut off, or ended by the server): nothing follows.
        public var ended = false
    }

    /// One consumer: its doorbell rings whenever something is queued for it; `take()` then gives
    /// it all of it. The doorbell's sequence ends once the subscription has ended (after a last
    /// ring for what is still owed); a consumer that is done calls `close()`.
    public struct Subscription: Sendable {
        public let doorbell: AsyncStream<Void>
        fileprivate let id: UInt64
        fileprivate let feed: EventFeed

        /// Everything queued for this consumer, in order.
        public func take() -> Batch { feed.take(id) }

        /// Queues a heartbeat (a consumer too far behind to take it is cut off, as for an event).
        public func beat() { feed.beat(id) }

        /// Ends the subscription (the server is stopping).
        public func end() { feed.end(id) }

        /// Forgets the subscription (the consumer is done with it).
        public func close() { feed.unsubscribe(id) }
    }

    /// How many recent events the window keeps for consumers that resume.
    public let windowSize: Int
    /// How many events may be queued for one consumer before it is cut off.
    public let consumerLimit: Int

    /// A class, changed in place under the feed's lock: publishing to a hundred consumers then
    /// copies none of them.
    private final class Consumer {
        let accepts: @Sendable (Item) -> Bool
        let doorbell: AsyncStream<Void>.Continuation
        var queued: [Item] = []
        var heartbeat = false
        var ended = false

        init(accepts: @escaping @Sendable (Item) -> Bool, doorbell: AsyncStream<Void>.Continuation) {
            self.accepts = accepts
            self.doorbell = doorbell
        }
    }

    private struct State {
        /// The window, oldest first from `oldest` (a ring once `windowSize` are held).
        var recent: [Item] = []
        var oldest = 0
        var consumers: [UInt64: Consumer] = [:]
        var nextConsumer: UInt64 = 0

        var window: [Item] { Array(recent[oldest...] + recent[..<oldest]) }
    }

    private let state = Mutex(State())

    public init(windowSize: Int = 4_096, consumerLimit: Int = 1_024) {
        self.windowSize = max(1, windowSize)
        self.consumerLimit = max(1, consumerLimit)
    }

    /// The number of consumers subscribed now.
    public var consumerCount: Int { state.withLock { state in state.consumers.values.count { !$0.ended } } }

    /// Hands a durable event to every consumer whose filter accepts it.
    func publish(_ item: Item) {
        let finished: [AsyncStream<Void>.Continuation] = state.withLock { state in
            if state.recent.count < windowSize {
                state.recent.append(item)
            } else {
                state.recent[state.oldest] = item
                state.oldest = (state.oldest + 1) % windowSize
            }
            var finished: [AsyncStream<Void>.Continuation] = []
            for consumer in state.consumers.values where !consumer.ended && consumer.accepts(item) {
                if let cutOff = queue(item, for: consumer) { finished.append(cutOff) }
            }
            return finished
        }
        // Outside the lock: finishing runs the doorbell's termination handler, which takes it.
        for doorbell in finished { doorbell.finish() }
    }

    /// Queues `item` for `consumer` and rings; returns its doorbell to finish when this cut it off.
    /// Called under the feed's lock.
    private func queue(_ item: Item, for consumer: Consumer) -> AsyncStream<Void>.Continuation? {
        let queued = consumer.queued.count
        guard queued < consumerLimit else { return cutOff(consumer) }
        consumer.queued.append(item)
        // A queue that was not empty has rung already: the consumer takes everything at once.
        if queued == 0 { consumer.doorbell.yield() }
        return nil
    }

    /// Called under the feed's lock.
    private func cutOff(_ consumer: Consumer) -> AsyncStream<Void>.Continuation {
        consumer.ended = true
        consumer.doorbell.yield()  // so that it comes for what it is still owed, and learns it has ended
        return consumer.doorbell
    }

    /// Subscribes to the events `accepts` selects: first those of the window after the event
    /// of sequence `after` (every newer one of the window when that event has left it), then
    /// each new one.
    public func subscribe(after: UInt64?, where accepts: @escaping @Sendable (Item) -> Bool) -> Subscription {
        let (doorbell, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (id, finished): (UInt64, AsyncStream<Void>.Continuation?) = state.withLock { state in
            let id = state.nextConsumer
            state.nextConsumer += 1
            let consumer = Consumer(accepts: accepts, doorbell: continuation)
            state.consumers[id] = consumer
            guard let after else { return (id, nil) }
            let window = state.window
            let backlog = window.lastIndex(where: { $0.sequence == after }).map { window[($0 + 1)...] }
                ?? window.filter { $0.sequence > after }[...]
            for item in backlog where accepts(item) {
                if let cutOff = queue(item, for: consumer) { return (id, cutOff) }
            }
            return (id, nil)
        }
        // A consumer that went away is forgotten; one that was ended keeps what it is owed until it
        // takes it (or closes).
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.unsubscribe(id) }
        }
        finished?.finish()
        return Subscription(doorbell: doorbell, id: id, feed: self)
    }

    fileprivate func take(_ id: UInt64) -> Batch {
        state.withLock { state in
            guard let consumer = state.consumers[id] else { return Batch(ended: true) }
            let batch = Batch(events: consumer.queued, heartbeat: consumer.heartbeat, ended: consumer.ended)
            if consumer.ended {
                state.consumers[id] = nil
            } else {
                // A new array: the batch keeps the old one.
                consumer.queued = []
                consumer.queued.reserveCapacity(batch.events.count)
                consumer.heartbeat = false
            }
            return batch
        }
    }

    fileprivate func beat(_ id: UInt64) {
        let finished: AsyncStream<Void>.Continuation? = state.withLock { state in
            guard let consumer = state.consumers[id], !consumer.ended else { return nil }
            guard consumer.queued.count < consumerLimit else { return cutOff(consumer) }
            consumer.heartbeat = true
            consumer.doorbell.yield()
            return nil
        }
        finished?.finish()
    }

    /// Ends every subscription (the state they follow is replaced): each consumer gets what it
    /// is owed, then its stream ends, and its client resumes elsewhere with the last sequence.
    public func close() {
        let finished: [AsyncStream<Void>.Continuation] = state.withLock { state in
            state.consumers.values.filter { !$0.ended }.map { cutOff($0) }
        }
        for doorbell in finished { doorbell.finish() }
    }

    fileprivate func end(_ id: UInt64) {
        let finished: AsyncStream<Void>.Continuation? = state.withLock { state in
            guard let consumer = state.consumers[id], !consumer.ended else { return nil }
            return cutOff(consumer)
        }
        finished?.finish()
    }

    fileprivate func unsubscribe(_ id: UInt64) {
        _ = state.withLock { $0.consumers.removeValue(forKey: id) }
    }
}
