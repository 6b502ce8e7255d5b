import AsyncHTTPClient
import Crypto
import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import VersionerCore

/// Sends what the outbox owes, off the ingest path: a shard only journals that a delivery is
/// owed; this service sends it once that is durable, and journals the outcome (docs/API.md §8).
///
/// Each webhook has up to ``WebhookOutbox/concurrency`` deliveries under way, oldest first. A delivery is tried
/// up to three times, 1 s then 2 s apart, on a network error or a 5xx; any other answer ends it.
/// Only the node that writes the journal sends (on a shared journal, the owner).
public struct WebhookSender: Service {
    let state: ServerState
    let policy: AddressPolicy
    /// Where the dashboard's pages are, as receivers reach them (`source_url`).
    let dashboardBase: String
    let metrics: ServerMetrics
    let logger: Logger
    let clients: WebhookClients

    /// The pauses before the second and the third attempt.
    static let backoff: [Duration] = [.seconds(1), .seconds(2)]
    /// How long one attempt may take, connecting included.
    static let timeout: TimeAmount = .seconds(10)
    /// How often owed deliveries are looked at without a ring (the owner changed, a sender stopped).
    static let tick: Duration = .seconds(1)

    public init(state: ServerState, allowPrivate: Bool, dashboardBase: String, metrics: ServerMetrics,
                logger: Logger) {
        self.state = state
        self.policy = AddressPolicy(allowPrivate: allowPrivate, resolver: AddressPolicy.sending)
        self.dashboardBase = dashboardBase
        self.metrics = metrics
        self.logger = logger
        clients = .sending
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            // Rings the outbox of whichever tracker is served now, so that a loop waiting on an
            // outbox that is no longer served wakes up and moves on.
            group.addTask {
                var rung: WebhookOutbox?
                while !Task.isCancelled {
                    let outbox = state.backend?.tracker.outbox
                    if let outbox { outbox.ring() }
                    if let rung, rung !== outbox { rung.ring() }
                    rung = outbox
                    try? await Task.sleep(for: Self.tick)
                }
                rung?.ring()
            }
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    guard let tracker = state.backend?.tracker else {
                        try? await Task.sleep(for: .milliseconds(100))
                        continue
                    }
                    await serve(tracker)
                }
            }
            group.cancelAll()
        }
    }

    /// Sends what `tracker`'s outbox owes until another tracker is served, or the task is cancelled.
    private func serve(_ tracker: Tracker) async {
        await withDiscardingTaskGroup { group in
            for await _ in tracker.outbox.doorbell {
                guard !Task.isCancelled, state.backend?.tracker === tracker else { break }
                guard state.node.map({ $0.role == .owner }) ?? true else { continue }
                let webhooks = Dictionary(uniqueKeysWithValues: tracker.allWebhooks.map { ($0.id, $0) })
                metrics.noteDropped(total: tracker.outbox.droppedTotal)
                for taken in tracker.outbox.take(webhooks: Array(webhooks.keys)) {
                    guard let webhook = webhooks[taken.delivery.webhookID] else { continue }
                    group.addTask { await deliver(taken, to: webhook, tracker: tracker) }
                }
            }
            group.cancelAll()
        }
    }

    /// Sends one owed delivery and journals what became of it; hands it back when stopped first.
    private func deliver(_ taken: WebhookOutbox.Taken, to webhook: Webhook, tracker: Tracker) async {
        let delivery = taken.delivery
        do {
            if taken.sequence > 0 { try await tracker.waitUntilDurable(taken.sequence) }
        } catch {
            tracker.outbox.handBack(delivery.id)
            return
        }
        let outcome: DeliveryOutcome
        if let view = await tracker.loggedEvent(productID: delivery.productID, eventID: delivery.eventID) {
            let body = WebhookMessage.body(WebhookMessage.Facts(view, dashboardBase: dashboardBase), format: webhook.format)
            let attempts = await send(body, eventType: view.event.eventType, deliveryID: delivery.id, to: webhook, retrying: true)
            outcome = DeliveryOutcome(deliveryID: delivery.id, webhookID: webhook.id, eventID: delivery.eventID,
                                      eventType: view.event.eventType, attempts: attempts)
        } else {
            // Its product was deleted since, with its events: nothing is left to tell.
            outcome = DeliveryOutcome(deliveryID: delivery.id, webhookID: webhook.id, eventID: delivery.eventID, eventType: "",
                                      attempts: [DeliveryAttempt(at: tracker.now(), statusCode: nil,
                                                                 error: "the event's product was deleted", durationMicroseconds: 0)])
        }
        // One dropped to the pending limit meanwhile was still made: its outcome is logged. One
        // whose webhook was deleted meanwhile is forgotten with it.
        guard !Task.isCancelled, (try? tracker.webhook(id: webhook.id)) != nil else {
            tracker.outbox.handBack(delivery.id)
            return
        }
        do {
            try await tracker.finishDelivery(outcome)
        } catch {
            tracker.outbox.handBack(delivery.id)
            return
        }
        metrics.recordDelivery(succeeded: outcome.succeeded)
        if !outcome.succeeded {
            logger.notice("a webhook delivery failed", metadata: [
                "webhook.id": "\(webhook.id)", "delivery.id": "\(delivery.id)",
                "delivery.attempts": "\(outcome.attempts.count)", "delivery.last": "\(outcome.attempts.last.map(Self.summary) ?? "")",
            ])
        }
    }

    /// A test delivery: one attempt, now, journaled in the webhook's log.
    static func test(_ webhook: Webhook, tracker: Tracker, policy: AddressPolicy, clients: WebhookClients = .testing,
                     logger: Logger) async throws(TrackerError) -> DeliveryOutcome {
        let id = tracker.newDeliveryID()
        let sender = Attempter(policy: policy, clients: clients, logger: logger)
        let attempts = await sender.send(WebhookMessage.test(webhook, deliveryID: id, at: tracker.now()),
                                         eventType: WebhookMessage.testEventType, deliveryID: id, to: webhook,
                                         retrying: false, now: tracker.now)
        let outcome = DeliveryOutcome(deliveryID: id, webhookID: webhook.id, eventID: nil, eventType: WebhookMessage.testEventType,
                                      attempts: attempts)
        try await tracker.finishDelivery(outcome)
        return outcome
    }

    private func send(_ body: [UInt8], eventType: String, deliveryID: EntityID, to webhook: Webhook,
                      retrying: Bool) async -> [DeliveryAttempt] {
        let tracker = state.backend?.tracker
        return await Attempter(policy: policy, clients: clients, logger: logger)
            .send(body, eventType: eventType, deliveryID: deliveryID, to: webhook, retrying: retrying,
                  now: { tracker?.now() ?? Timestamp(microseconds: 0) })
    }

    static func summary(_ attempt: DeliveryAttempt) -> String {
        attempt.statusCode.map { "HTTP \($0)" } ?? attempt.error ?? ""
    }
}

/// Makes the attempts of one delivery.
struct Attempter {
    let policy: AddressPolicy
    let clients: WebhookClients
    let logger: Logger

    func send(_ body: [UInt8], eventType: String, deliveryID: EntityID, to webhook: Webhook, retrying: Bool,
              now: () -> Timestamp) async -> [DeliveryAttempt] {
        var attempts: [DeliveryAttempt] = []
        for attempt in 0...(retrying ? WebhookSender.backoff.count : 0) {
            if attempt > 0 {
                do {
                    try await Task.sleep(for: WebhookSender.backoff[attempt - 1])
                } catch {
                    break
                }
            }
            let made = await once(body, eventType: eventType, deliveryID: deliveryID, to: webhook, at: now())
            attempts.append(made)
            // A 2xx is done; any other answer but a 5xx is the receiver's final word.
            if let status = made.statusCode, !(500..<600).contains(status) { break }
            if made.error == Self.refusedAddress || made.error == Self.unresolvedHost { break }
        }
        return attempts
    }

    static let refusedAddress = "refused: the URL's host is a loopback, private or link-local address"
    static let unresolvedHost = "not sent: the URL's host name does not resolve"

    private func once(_ body: [UInt8], eventType: String, deliveryID: EntityID, to webhook: Webhook,
                      at time: Timestamp) async -> DeliveryAttempt {
        let start = ContinuousClock.now
        func elapsed() -> Int64 {
            let duration = ContinuousClock.now - start
            return duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        }
        // Checked before every attempt (the name may resolve elsewhere than when the webhook was
        // saved), and the attempt connects to the address checked.
        let destination = if let url = WebhookURL(webhook.url) { await policy.destination(of: url) } else { AddressPolicy.Destination.asWritten }
        guard let client = clients.client(for: webhook.url, destination) else {
            let error = destination == .unresolved ? Self.unresolvedHost : Self.refusedAddress
            return DeliveryAttempt(at: time, statusCode: nil, error: error, durationMicroseconds: elapsed())
        }
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Versioner-Webhook")
        request.headers.add(name: "X-Versioner-Event", value: eventType)
        request.headers.add(name: "X-Versioner-Delivery", value: deliveryID.uuidString)
        if let secret = webhook.secret {
            request.headers.add(name: "X-Versioner-Signature", value: "sha256=" + Self.signature(of: body, secret: secret))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: WebhookSender.timeout, logger: logger)
            // Read (and drop) what the receiver says, so that the connection can be used again.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return DeliveryAttempt(at: time, statusCode: Int(response.status.code), error: nil, durationMicroseconds: elapsed())
        } catch {
            return DeliveryAttempt(at: time, statusCode: nil, error: Self.describe(error), durationMicroseconds: elapsed())
        }
    }

    /// The hex HMAC-SHA256 of the body, keyed with the webhook's secret.
    static func signature(of body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return code.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    /// Why no answer came, in words that name no URL (the log and the deliveries list show it).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout: return "timed out"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: return "HTTP client error: \(error)"
            }
        }
        if let error = error as? IOError { return "connection failed: \(String(cString: strerror(error.errnoCode)))" }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return "the host name does not resolve"
            }
            return "could not connect"
        }
        return "\(type(of: error))"
    }
}
