import Testing
import VersionerCore

/// Webhooks in the domain: which events they want, what a valid one is, and the outbox of
/// deliveries owed (docs/API.md §8).
@Suite("Webhooks and the outbox")
struct WebhookTests {
    static func webhook(events: [String], products: [String] = [], environments: [String] = [],
                        id: EntityID = EntityID(high: 1, low: 1)) -> Webhook {
        Webhook(id: id, name: "w", url: "https://example.com/hook", events: events, products: products,
                environments: environments, createdAt: Timestamp(microseconds: 0), updatedAt: Timestamp(microseconds: 0))
    }

    static func body(_ members: [String: JSONValue]) -> [JSONMember] {
        members.sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value) }
    }

    @Test("Event patterns and product and environment filters select events", arguments: [
        (["*"], [], [], "api", "production", Status.completed, true),
        (["deployment.*"], [], [], "api", "production", .failed, true),
        (["deployment.completed"], [], [], "api", "production", .failed, false),
        (["deployment.completed", "deployment.failed"], [], [], "api", "production", .failed, true),
        (["build.*"], [], [], "api", "production", .completed, false),
        (["*"], ["web"], [], "api", "production", .completed, false),
        (["*"], ["api", "web"], ["production"], "api", "production", .completed, true),
        (["*"], [], ["production"], "api", "staging", .completed, false),
    ] as [([String], [String], [String], String, String, Status, Bool)])
    func accepts(events: [String], products: [String], environments: [String], product: String, environment: String,
                 status: Status, expected: Bool) async throws {
        let fixture = TrackerFixture()
        let recorded = try await fixture.deploy(product, "1", to: environment, status)
        let webhook = Self.webhook(events: events, products: products, environments: environments)
        #expect(webhook.accepts(recorded.event.event) == expected)
    }

    @Test("A build matches build patterns, and never a webhook limited to environments")
    func buildEvents() async throws {
        let fixture = TrackerFixture()
        let build = try await fixture.build("api", "1", .failed).event.event
        #expect(Self.webhook(events: ["build.failed"]).accepts(build))
        #expect(Self.webhook(events: ["build.*"]).accepts(build))
        #expect(!Self.webhook(events: ["deployment.*"]).accepts(build))
        #expect(!Self.webhook(events: ["*"], environments: ["production"]).accepts(build))
    }

    @Test("Invalid webhooks are refused with every problem located", arguments: [
        (["name": .string("w"), "url": .string("ftp://example.com"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://user:pw@example.com/"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://example.com:99999/"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("hTTp://D\u{10}"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://exa mple.com/"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://example.com/%zz"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://ex<ample>.com/"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://[fe80::1%25eth0]/"), "events": .array([.string("*")])], [["body", "url"]]),
        (["name": .string("w"), "url": .string("https://example.com/")], [["body", "events"]]),
        (["name": .string("w"), "url": .string("https://example.com/"), "events": .array([])], [["body", "events"]]),
        (["name": .string("w"), "url": .string("https://example.com/"), "events": .array([.string("deploy.*"), .string("*")])],
         [["body", "events", "0"]]),
        (["url": .string("https://example.com/"), "events": .string("*"), "format": .string("teams")],
         [["body", "name"], ["body", "events"], ["body", "format"]]),
    ] as [([String: JSONValue], [[String]])])
    func invalid(members: [String: JSONValue], locations: [[String]]) {
        guard case .failure(let failure) = Webhook.validate(Self.body(members), id: EntityID(high: 1, low: 1),
                                                            at: Timestamp(microseconds: 0)) else {
            Issue.record("accepted")
            return
        }
        #expect(Set(failure.errors.map(\.location)) == Set(locations))
    }

    @Test("URLs: scheme, host and port", arguments: [
        ("https://hooks.slack.com/services/T0/B0/x", true, "hooks.slack.com", 443),
        ("HTTP://127.0.0.1:8080/hook?x=1", false, "127.0.0.1", 8080),
        ("http://[::1]:9000/", false, "::1", 9000),
        ("http://[fe80::1]/", false, "fe80::1", 80),
    ])
    func urls(text: String, isHTTPS: Bool, host: String, port: Int) throws {
        let url = try #require(WebhookURL(text))
        #expect((url.isHTTPS, url.host, url.port) == (isHTTPS, host, port))
    }

    @Test("A patch replaces what it sends; a secret left out is kept, a null one removed")
    func patch() throws {
        let created = try Webhook.validate(Self.body([
            "name": .string("w"), "url": .string("https://example.com/"), "events": .array([.string("*")]), "secret": .string("k"),
        ]), id: EntityID(high: 1, low: 1), at: Timestamp(microseconds: 1)).get()
        let renamed = try created.patched(with: [JSONMember("name", .string("chat"))], at: Timestamp(microseconds: 5)).get()
        #expect(renamed.name == "chat" && renamed.secret == "k" && renamed.updatedAt == Timestamp(microseconds: 5))
        #expect(renamed.createdAt == created.createdAt)
        let unsigned = try renamed.patched(with: [JSONMember("secret", .null)], at: Timestamp(microseconds: 6)).get()
        #expect(unsigned.secret == nil)
        #expect(created.patched(with: [JSONMember("events", .array([.string("nope")]))], at: Timestamp(microseconds: 7)).failed)
        // The secret is never part of what is answered.
        #expect(created.json["secret"] == nil)
        #expect(created.json["has_secret"] == .bool(true))
    }

    static func delivery(_ number: UInt64, webhook: UInt64 = 1) -> PendingDelivery {
        PendingDelivery(id: EntityID(high: 9, low: number), webhookID: EntityID(high: 1, low: webhook),
                        productID: EntityID(high: 2, low: 1), eventID: EntityID(high: 3, low: number))
    }

    static func outcome(_ delivery: PendingDelivery, status: Int? = 200) -> DeliveryOutcome {
        DeliveryOutcome(deliveryID: delivery.id, webhookID: delivery.webhookID, eventID: delivery.eventID,
                        eventType: "deployment.completed",
                        attempts: [DeliveryAttempt(at: Timestamp(microseconds: 0), statusCode: status, error: nil, durationMicroseconds: 1)])
    }

    @Test("The outbox finishes out of order and idempotently, and forgets a deleted webhook")
    func outbox() {
        var outbox = OutboxState()
        let owed = (1...5).map { Self.delivery($0) } + [Self.delivery(6, webhook: 2)]
        outbox.queue(owed)
        #expect(outbox.pendingCount == 6)
        outbox.finish(Self.outcome(owed[2]))
        outbox.finish(Self.outcome(owed[0], status: 500))
        outbox.finish(Self.outcome(owed[0], status: 500))  // replayed: logged once
        #expect(outbox.pending(webhookID: EntityID(high: 1, low: 1)).map(\.id) == [owed[1], owed[3], owed[4]].map(\.id))
        #expect(outbox.logs[EntityID(high: 1, low: 1)]?.map(\.deliveryID) == [owed[2].id, owed[0].id])
        #expect(outbox.logs[EntityID(high: 1, low: 1)]?.map(\.succeeded) == [true, false])
        #expect(outbox.pendingCount == 4)
        #expect(outbox.contains(owed[1].id) && !outbox.contains(owed[0].id))
        outbox.removeWebhook(EntityID(high: 1, low: 1))
        #expect(outbox.pendingCount == 1)
        #expect(outbox.pending.map(\.id) == [owed[5].id])
        #expect(outbox.logs[EntityID(high: 1, low: 1)] == nil)
    }

    @Test("A webhook owed more than the limit drops its oldest deliveries and counts them; others are untouched")
    func outboxLimit() {
        var outbox = OutboxState()
        let limit = OutboxState.pendingLimit
        outbox.queue([Self.delivery(0, webhook: 2)])
        for number in 1...UInt64(limit + 25) { outbox.queue([Self.delivery(number)]) }
        #expect(outbox.pendingCount(webhookID: EntityID(high: 1, low: 1)) == limit)
        #expect(outbox.pending(webhookID: EntityID(high: 1, low: 1)).first?.id == Self.delivery(26).id)
        #expect(outbox.dropped(webhookID: EntityID(high: 1, low: 1)) == 25)
        #expect(outbox.pendingCount(webhookID: EntityID(high: 1, low: 2)) == 1)
        #expect(outbox.pendingCount == limit + 1)
        // The count outlives the webhook's last owed delivery, and goes with the webhook.
        for delivery in Array(outbox.pending(webhookID: EntityID(high: 1, low: 1))) {
            outbox.finish(DeliveryOutcome(deliveryID: delivery.id, webhookID: delivery.webhookID, eventID: delivery.eventID,
                                          eventType: "deployment.completed", attempts: []))
        }
        #expect(outbox.pendingCount(webhookID: EntityID(high: 1, low: 1)) == 0)
        #expect(outbox.pendingCount == 1)
        #expect(outbox.dropped(webhookID: EntityID(high: 1, low: 1)) == 25)
        outbox.removeWebhook(EntityID(high: 1, low: 1))
        #expect(outbox.dropped(webhookID: EntityID(high: 1, low: 1)) == 0)
    }

    @Test("An accepted event owes each webhook that wants it one delivery, journaled in its own record; imports owe none")
    func trackerOwes() async throws {
        let fixture = TrackerFixture()
        let tracker = fixture.tracker
        let all = try tracker.newWebhook(Self.body(["name": .string("all"), "url": .string("https://example.com/a"),
                                                    "events": .array([.string("*")])]))
        try await tracker.saveWebhook(all, isNew: true)
        let failures = try tracker.newWebhook(Self.body(["name": .string("failures"), "url": .string("https://example.com/f"),
                                                         "events": .array([.string("deployment.failed")])]))
        try await tracker.saveWebhook(failures, isNew: true)
        let completed = try await fixture.deploy(.completed)
        let failed = try await fixture.deploy("api", "2", .failed)
        _ = try await tracker.importEvents([.deployment(DeploymentEventInput(productName: "api", version: "0", environmentName: "production",
                                                                             status: .completed, [:]), recordedAt: nil)])
        let owed = tracker.outbox.withState(\.pending)
        #expect(owed.filter { $0.webhookID == all.id }.map(\.eventID) == [completed.eventID, failed.eventID])
        #expect(owed.filter { $0.webhookID == failures.id }.map(\.eventID) == [failed.eventID])
        // The deliveries are journaled in their event's own record; the imported event owes none.
        let events = fixture.journal.changes.compactMap { change -> AcceptedDeploymentEvent? in
            if case .deploymentEvent(let event) = change { event } else { nil }
        }
        #expect(events.map { Set($0.deliveries.map(\.webhookID)) } == [[all.id], [all.id, failures.id], []])
        #expect(events.allSatisfy { event in event.deliveries.allSatisfy { $0.eventID == event.eventID && $0.productID == event.productID } })
        #expect(!fixture.journal.changes.contains { if case .deliveriesQueued = $0 { true } else { false } })

        // The journal replayed gives the same outbox, and a delivery finished is owed no more.
        let delivered = owed[0]
        try await tracker.finishDelivery(WebhookTests.outcome(delivered))
        var replayed = TrackerState()
        for change in fixture.journal.changes { replayed.apply(change) }
        #expect(replayed.outbox.pending == tracker.outbox.withState(\.pending))
        #expect(!replayed.outbox.contains(delivered.id))
        #expect(replayed.catalog.webhooks.map(\.id) == [all.id, failures.id])

        // A delivery taken to be sent waits for a change at or after the event that owed it.
        let taken = tracker.outbox.take(webhooks: [failures.id])
        #expect(taken.map(\.delivery.eventID) == [failed.eventID])
        #expect(taken.allSatisfy { $0.sequence >= failed.sequence })

        // Deleting a webhook deletes what it was owed.
        try await tracker.deleteWebhook(id: all.id)
        #expect(tracker.outbox.withState(\.pending).allSatisfy { $0.webhookID == failures.id })
        await #expect(throws: TrackerError.notFound("Webhook not found")) { try await tracker.deleteWebhook(id: all.id) }
    }
}

extension Result {
    fileprivate var failed: Bool {
        if case .failure = self { return true }
        return false
    }
}
