/// Webhooks and the deliveries they are owed (docs/API.md §8).
extension Tracker {
    /// Every webhook, newest first.
    public func webhooks(_ page: PageRequest) -> Page<Webhook> {
        let webhooks = services.catalog.snapshot.webhooks
        return page.page(webhooks.filter { page.admits($0.id) }, id: \.id)
    }

    /// Every webhook, oldest first (for the sender).
    public var allWebhooks: [Webhook] { services.catalog.withLock { $0.webhooks } }

    public func webhook(id: EntityID) throws(TrackerError) -> Webhook {
        guard let webhook = services.catalog.withLock({ $0.webhook(id: id) }) else { throw .notFound("Webhook not found") }
        return webhook
    }

    /// Validates a `POST /webhooks/` body into a webhook, not yet saved: the caller may check more
    /// (where its URL leads) before ``saveWebhook(_:)``.
    public func newWebhook(_ body: [JSONMember]) throws(TrackerError) -> Webhook {
        switch Webhook.validate(body, id: services.ids.next(), at: services.clock.now()) {
        case .success(let webhook): return webhook
        case .failure(let failure): throw .invalid(failure)
        }
    }

    /// Lays a `PATCH` body over a webhook, not yet saved.
    public func patchedWebhook(id: EntityID, _ body: [JSONMember]) throws(TrackerError) -> Webhook {
        let old = try webhook(id: id)
        switch old.patched(with: body, at: services.clock.now()) {
        case .success(let webhook): return webhook
        case .failure(let failure): throw .invalid(failure)
        }
    }

    /// Journals and applies a webhook; one changed (not `isNew`) must still exist.
    public func saveWebhook(_ webhook: Webhook, isNew: Bool) async throws(TrackerError) {
        let result: Result<UInt64, TrackerError> = services.catalog.withLock { catalog in
            if !isNew, catalog.webhook(id: webhook.id) == nil {
                return .failure(.notFound("Webhook not found"))
            }
            return services.journal.appending(.webhookSaved(webhook))
                .map { sequence in
                    catalog.apply(webhook)
                    return sequence
                }
                .mapError { .journal($0) }
        }
        try await waitDurable(try result.get())
    }

    /// Deletes a webhook and every delivery it is still owed.
    public func deleteWebhook(id: EntityID) async throws(TrackerError) {
        let outbox = services.outbox
        let result: Result<UInt64, TrackerError> = services.catalog.withLock { catalog in
            guard catalog.webhook(id: id) != nil else { return .failure(.notFound("Webhook not found")) }
            return services.journal.appending(.webhookDeleted(id))
                .map { sequence in
                    catalog.removeWebhook(id)
                    outbox.apply(.webhookDeleted(id))
                    return sequence
                }
                .mapError { .journal($0) }
        }
        try await waitDurable(try result.get())
    }

    /// A webhook's logged deliveries, newest first, and how many it is still owed.
    public func deliveries(webhookID: EntityID) throws(TrackerError) -> (log: [DeliveryOutcome], pending: Int, dropped: Int) {
        _ = try webhook(id: webhookID)
        return services.outbox.withState { state in
            (Array((state.logs[webhookID] ?? []).reversed()), state.pendingCount(webhookID: webhookID), state.dropped(webhookID: webhookID))
        }
    }

    /// A new delivery id (for a test delivery).
    public func newDeliveryID() -> EntityID { services.ids.next() }

    /// Journals what became of a delivery; returns once it is durable. A delivery finished is owed no more.
    public func finishDelivery(_ outcome: DeliveryOutcome) async throws(TrackerError) {
        switch services.outbox.finish(outcome, journal: services.journal) {
        case .success(let sequence): try await waitDurable(sequence)
        case .failure(let error): throw .journal(error)
        }
    }

    /// Returns once the change of this sequence is durable (a delivery is sent only after its event is).
    public func waitUntilDurable(_ sequence: UInt64) async throws(TrackerError) {
        try await waitDurable(sequence)
    }

    /// An event of the audit log, with whether its deployment is a rollback; nil when its product
    /// (and so its events) was deleted since.
    public func loggedEvent(productID: EntityID, eventID: EntityID) async -> EventView? {
        guard let target = services.catalog.withLock({ $0.shard(forProductID: productID) }) else { return nil }
        return await shards[target].read { contents in
            guard let state = contents.products[productID] else { return nil }
            let index = state.events.partitionPoint { $0.id >= eventID }
            guard index < state.events.endIndex, state.events[index].id == eventID else { return nil }
            let event = state.events[index]
            guard case .deployment(let accepted) = event else { return EventView(event: event, isRollback: nil) }
            return EventView(event: event, isRollback: state.deployment(id: accepted.deploymentID).map(state.isRollback))
        }
    }
}
