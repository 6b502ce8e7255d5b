import Synchronization

/// Accepted events as they become durable, for live consumers (`GET /events/stream`).
///
/// The feed keeps a bounded window of the most recent events, in the order they were
/// acknowledged, so that a consumer that reconnects resumes right after the last event it saw,
/// losing and repeating nothing. Each consumer has a bounded buffer of its own: one that falls
/// too far behind is cut off (its stream ends after the events it was still owed; it resumes from
/// the window) rather than buffered without bound.
public final class EventFeed: Sendable {
    /// One accepted event and the journal sequence of its change.
    public struct Item: Sendable {
        public let sequence: UInt64
        public let event: EventView
    }

    /// What a consumer receives: an event, or a beat of its own heartbeat (see
    /// ``Subscription/beat()``), which keeps an idle connection open through proxies.
    public enum Delivery: Sendable {
        case event(Item)
        case heartbeat
    }

    /// One consumer's deliveries. The stream ends when the consumer is cut off; ending its
    /// iteration unsubscribes.
    public struct Subscription: Sendable {
        public let deliveries: AsyncStream<Delivery>
        fileprivate let continuation: AsyncStream<Delivery>.Continuation

        /// Ends the deliveries (the server is stopping).
        public func end() { continuation.finish() }

        /// Queues a heartbeat behind the events already owed (so a consumer too far behind to
        /// take one is cut off like one that cannot take an event).
        public func beat() {
            if case .dropped = continuation.yield(.heartbeat) { continuation.finish() }
        }
    }

    /// How many recent events the window keeps for consumers that resume.
    public let windowSize: Int
    /// How many undelivered events one consumer may have before it is cut off.
    public let consumerLimit: Int

    private struct Consumer {
        let accepts: @Sendable (Item) -> Bool
        let continuation: AsyncStream<Delivery>.Continuation
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
    public var consumerCount: Int { state.withLock { $0.consumers.count } }

    /// Hands a durable event to every consumer whose filter accepts it.
    func publish(_ item: Item) {
        let cutOff: [AsyncStream<Delivery>.Continuation] = state.withLock { state in
            if state.recent.count < windowSize {
                state.recent.append(item)
            } else {
                state.recent[state.oldest] = item
                state.oldest = (state.oldest + 1) % windowSize
            }
            var gone: [AsyncStream<Delivery>.Continuation] = []
            for (id, consumer) in state.consumers where consumer.accepts(item) {
                if case .enqueued = consumer.continuation.yield(.event(item)) { continue }
                state.consumers[id] = nil
                gone.append(consumer.continuation)
            }
            return gone
        }
        // Outside the lock: finishing runs the stream's termination handler, which takes it.
        for continuation in cutOff { continuation.finish() }
    }

    /// Subscribes to the events `accepts` selects: first those of the window after the event
    /// of sequence `after` (every newer one of the window when that event has left it), then
    /// each new one. Ending the iteration unsubscribes.
    public func subscribe(after: UInt64?, where accepts: @escaping @Sendable (Item) -> Bool) -> Subscription {
        let (stream, continuation) = AsyncStream.makeStream(of: Delivery.self, bufferingPolicy: .bufferingOldest(consumerLimit))
        let id: UInt64? = state.withLock { state in
            if let after {
                let window = state.window
                let backlog = window.lastIndex(where: { $0.sequence == after }).map { window[($0 + 1)...] }
                    ?? window.filter { $0.sequence > after }[...]
                for item in backlog where accepts(item) {
                    guard case .enqueued = continuation.yield(.event(item)) else {
                        continuation.finish()  // more than a consumer may be owed: it comes back for the rest
                        return nil
                    }
                }
            }
            let id = state.nextConsumer
            state.nextConsumer += 1
            state.consumers[id] = Consumer(accepts: accepts, continuation: continuation)
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        }
        return Subscription(deliveries: stream, continuation: continuation)
    }

    private func unsubscribe(_ id: UInt64) {
        _ = state.withLock { $0.consumers.removeValue(forKey: id) }
    }
}
