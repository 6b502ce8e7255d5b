import Hummingbird
import Logging
import VersionerCore

/// Webhooks, their deliveries and test deliveries (docs/API.md §8). All need an admin key: a
/// webhook's URL is often itself a secret (a Slack incoming webhook's is).
struct WebhookRoutes {
    let policy: AddressPolicy
    let logger: Logger

    var all: [Route] {
        [
            Route(.get, "/webhooks", scope: .admin) { input throws(APIError) in
                var reader = QueryReader(input.query)
                let page = reader.page()
                try reader.check()
                return Reply.list(input.tracker.webhooks(page), for: input) { $0.value($1.json) }
            },
            Route(.post, "/webhooks") { input throws(APIError) in
                let body = try await input.jsonObject()
                let webhook = try await tracked { () throws(TrackerError) in try input.tracker.newWebhook(body) }
                try await check(webhook)
                try await tracked { () throws(TrackerError) in try await input.tracker.saveWebhook(webhook, isNew: true) }
                return Reply.json(.created) { $0.value(webhook.json) }
            },
            Route(.get, "/webhooks/{id}", scope: .admin) { input throws(APIError) in
                let id = try input.id()
                let webhook = try await tracked { () throws(TrackerError) in try input.tracker.webhook(id: id) }
                return Reply.json(for: input) { $0.value(webhook.json) }
            },
            Route(.patch, "/webhooks/{id}") { input throws(APIError) in
                let id = try input.id()
                let body = try await input.jsonObject()
                let webhook = try await tracked { () throws(TrackerError) in try input.tracker.patchedWebhook(id: id, body) }
                try await check(webhook)
                try await tracked { () throws(TrackerError) in try await input.tracker.saveWebhook(webhook, isNew: false) }
                return Reply.json { $0.value(webhook.json) }
            },
            Route(.delete, "/webhooks/{id}") { input throws(APIError) in
                let id = try input.id()
                try await tracked { () throws(TrackerError) in try await input.tracker.deleteWebhook(id: id) }
                return Reply.noContent
            },
            Route(.get, "/webhooks/{id}/deliveries", scope: .admin) { input throws(APIError) in
                let id = try input.id()
                let found = try await tracked { () throws(TrackerError) in try input.tracker.deliveries(webhookID: id) }
                return Reply.json(for: input) { writer in
                    writer.beginObject()
                    writer.key("pending")
                    writer.int(found.pending)
                    writer.key("dropped")
                    writer.int(found.dropped)
                    writer.key("deliveries")
                    writer.beginArray()
                    for outcome in found.log { writer.deliveryOutcome(outcome) }
                    writer.endArray()
                    writer.endObject()
                }
            },
            Route(.post, "/webhooks/{id}/test") { input throws(APIError) in
                let id = try input.id()
                let webhook = try await tracked { () throws(TrackerError) in try input.tracker.webhook(id: id) }
                let outcome = try await tracked { () throws(TrackerError) in
                    try await WebhookSender.test(webhook, tracker: input.tracker, policy: policy, logger: logger)
                }
                return Reply.json { $0.deliveryOutcome(outcome) }
            },
        ]
    }

    /// Refuses a webhook whose URL leads to an address the server may not send to.
    private func check(_ webhook: Webhook) async throws(APIError) {
        guard let url = WebhookURL(webhook.url), let refusal = await policy.refusal(of: url) else { return }
        throw APIError(ValidationFailure([FieldError(["body", "url"], refusal)]))
    }
}

extension JSONWriter {
    /// One delivery as `GET /webhooks/{id}/deliveries` lists it, with each of its attempts.
    mutating func deliveryOutcome(_ outcome: DeliveryOutcome) {
        beginObject()
        field("id", outcome.deliveryID)
        field("webhook_id", outcome.webhookID)
        field("event_id", outcome.eventID)
        field("event_type", outcome.eventType)
        key("delivered")
        bool(outcome.succeeded)
        key("attempts")
        beginArray()
        for attempt in outcome.attempts {
            beginObject()
            field("at", attempt.at)
            key("status_code")
            if let status = attempt.statusCode { int(status) } else { null() }
            field("error", attempt.error)
            key("duration_ms")
            raw(Self.milliseconds(attempt.durationMicroseconds))
            endObject()
        }
        endArray()
        endObject()
    }

    /// Microseconds as milliseconds with three decimals.
    private static func milliseconds(_ microseconds: Int64) -> String {
        let whole = microseconds / 1_000
        let fraction = String(microseconds % 1_000)
        return "\(whole)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
