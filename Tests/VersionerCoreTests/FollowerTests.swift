import Synchronization
import Testing
import VersionerCore

/// A journal a follower's tracker reads its position from: nothing is appended to it.
final class FollowedJournal: Journal {
    private let applied = Mutex<UInt64>(0)

    func append(_ change: StateChange) throws(JournalError) -> UInt64 { throw JournalError("following") }
    func waitDurable(_ sequence: UInt64) async throws(JournalError) {}
    var lastSequence: UInt64 { applied.withLock { $0 } }
    func markApplied(_ sequence: UInt64) { applied.withLock { $0 = sequence } }
}

@Suite("A tracker following another's journal")
struct FollowerTests {
    /// Every kind of change, including renames and deletions that move names between products.
    func writeHistory(_ fixture: TrackerFixture) async throws {
        let tracker = fixture.tracker
        // A webhook for production's events: those events owe it deliveries.
        let webhook = try tracker.newWebhook(WebhookTests.body(["name": .string("prod"), "url": .string("https://example.com/hook"),
                                                                 "events": .array([.string("*")]), "environments": .array([.string("production")])]))
        try await tracker.saveWebhook(webhook, isNew: true)
        try await fixture.deploy("api", "1.0.0", to: "staging", .completed, sha: "a" + String(repeating: "1", count: 39))
        try await fixture.deploy("api", "1.0.0", to: "production", .started, invokeID: "run-1")
        try await fixture.deploy("api", "1.0.0", to: "production", .completed, invokeID: "run-1")
        try await fixture.deploy("api", "0.9.0", to: "production", .completed)
        try await fixture.build("web", "2.0.0", .completed, sha: "b" + String(repeating: "2", count: 39))
        try await fixture.deploy("web", "2.0.0", to: "dev", .failed)
        let created = try await tracker.createProduct(NewProduct(name: "billing"))
        _ = try await tracker.updateProduct(id: created.id, ProductPatch(name: "payments"))
        try await fixture.deploy("payments", "5", to: "dev", .completed)
        try await fixture.deploy("gone", "1", to: "qa", .completed)
        let gone = try #require(await tracker.product(named: "gone"))
        try await tracker.deleteProduct(id: gone.id)
        let environments = tracker.environments(type: nil, PageRequest(limit: 100)).items
        let qa = try #require(environments.first { $0.name == "qa" })
        try await tracker.deleteEnvironment(id: qa.id)
        let dev = try #require(environments.first { $0.name == "dev" })
        _ = try await tracker.updateEnvironment(id: dev.id, EnvironmentPatch(name: "development"))
        let key = try await tracker.issueKey(name: "ci", description: nil, scopes: [.eventsWrite], account: "local")
        _ = try await tracker.revokeKey(id: key.key.id)
        // Rules, an approval, a refusal and a skip.
        let rule = try await tracker.createRule(try JSONValue(parsing: #"{"name": "Approve", "type": "approval", "environments": ["production", "development"], "approval": {"required_approvals": 1}}"#).objectMembers!)
        await #expect(throws: TrackerError.self) { try await fixture.deploy("api", "2.0.0", to: "production", .started) }
        try await fixture.deploy("web", "2.0.0", to: "staging", .started)
        let web = try #require(await tracker.versions(named: "2.0.0").first?.version.id)
        let approval = try await tracker.approve(versionID: web, NewApproval(environment: "production"), by: "lead")
        _ = try await tracker.approve(versionID: web, NewApproval(environment: "staging"), by: "lead")
        try await tracker.deleteApproval(id: approval.id)
        _ = try await tracker.updateRule(id: rule.id, try JSONValue(parsing: #"{"mode": "report_only"}"#).objectMembers!)
        let temporary = try await tracker.createRule(try JSONValue(parsing: #"{"name": "Gone", "type": "concurrency", "concurrency": {"max_in_progress": 5}}"#).objectMembers!)
        try await tracker.deleteRule(id: temporary.id)
    }

    /// Applies the owner's journal to a new tracker, in order.
    func follow(_ journal: InMemoryJournal, into follower: Tracker, journaling followed: FollowedJournal) async {
        for (offset, change) in journal.changes.enumerated() {
            let sequence = UInt64(offset + 1)
            await follower.follow(change, sequence: sequence) { followed.markApplied(sequence) }
        }
    }

    @Test("Following the journal gives the writer's state, whatever the number of shards")
    func sameState() async throws {
        let owner = TrackerFixture(shards: 3)
        try await writeHistory(owner)
        let followed = FollowedJournal()
        let follower = Tracker(shardCount: 2, journal: followed)
        await follow(owner.journal, into: follower, journaling: followed)

        #expect(followed.lastSequence == UInt64(owner.journal.changes.count))
        #expect(follower.changeSequence == owner.tracker.changeSequence)
        #expect(await follower.stateMatrix(StateQuery()) == owner.tracker.stateMatrix(StateQuery()))
        let page = PageRequest(limit: 1000)
        #expect(await follower.events(EventQuery(), page).items == owner.tracker.events(EventQuery(), page).items)
        #expect(await follower.products(page).items == owner.tracker.products(page).items)
        #expect(await follower.deployments(DeploymentQuery(), page).items == owner.tracker.deployments(DeploymentQuery(), page).items)
        #expect(follower.keys(page).items == owner.tracker.keys(page).items)
        #expect(follower.rules(page).items == owner.tracker.rules(page).items)
        #expect(follower.rules(page).items.map(\.mode) == [.reportOnly])
        #expect(await follower.violations(ViolationQuery(), page).items == owner.tracker.violations(ViolationQuery(), page).items)
        let web = try #require(await follower.versions(named: "2.0.0").first?.version.id)
        #expect(try await follower.approvals(versionID: web) == owner.tracker.approvals(versionID: web))
        #expect(try await follower.approvals(versionID: web).map(\.environment) == ["staging"])
        #expect(follower.environments(type: nil, page).items == owner.tracker.environments(type: nil, page).items)
        #expect(await follower.product(named: "billing") == nil)
        #expect(await follower.product(named: "payments") != nil)
        #expect(await follower.product(named: "gone") == nil)
        // The deliveries production's events owe, in the writer's order.
        let owed = owner.tracker.outbox.withState(\.pending)
        #expect(owed.count >= 3)
        #expect(follower.outbox.withState(\.pending) == owed)
    }

    @Test("A follower that takes over writes after what it followed: names stay unique, ids keep increasing")
    func takesOver() async throws {
        let owner = TrackerFixture(shards: 3)
        try await writeHistory(owner)
        // The follower's tracker is then handed a journal it may append to (a takeover).
        let followed = InMemoryJournal()
        let follower = Tracker(shardCount: 4, journal: followed)
        for (offset, change) in owner.journal.changes.enumerated() {
            await follower.follow(change, sequence: UInt64(offset + 1)) {}
        }
        let newest = try #require(await owner.tracker.events(EventQuery(), PageRequest(limit: 1)).items.first)
        let recorded = try await follower.record(DeploymentEventInput(
            productName: "api", version: "1.0.0", environmentName: "staging", status: .completed))
        #expect(recorded.eventID > newest.event.id)
        // The product followed under its new name is the one a write by that name reaches.
        let payments = try #require(await follower.product(named: "payments"))
        await #expect(throws: TrackerError.conflict("Product payments already exists")) {
            _ = try await follower.createProduct(NewProduct(name: "payments"))
        }
        let deployed = try await follower.record(DeploymentEventInput(
            productName: "payments", version: "6", environmentName: "development", status: .completed))
        #expect(deployed.subject.deployment.productID == payments.id)
    }

    @Test("Followed events reach the follower's live consumers, in journal order")
    func feed() async throws {
        let owner = TrackerFixture()
        let followed = FollowedJournal()
        let follower = Tracker(shardCount: 2, journal: followed)
        let subscription = follower.feed.subscribe(after: nil) { _ in true }
        try await owner.deploy("api", "1", to: "production", .started)
        try await owner.build("api", "1", .completed)
        await follow(owner.journal, into: follower, journaling: followed)
        let batch = subscription.take()
        #expect(batch.events.map(\.event.event.id) == owner.journal.changes.compactMap { change -> EntityID? in
            switch change {
            case .deploymentEvent(let event): event.eventID
            case .buildEvent(let event): event.eventID
            default: nil
            }
        })
        #expect(batch.events.count == 2)
        #expect(batch.events.map(\.sequence) == batch.events.map(\.sequence).sorted())
    }

    @Test("An id generator moved past another node's id issues only greater ids")
    func idsAdvance() {
        let ahead = IDGenerator(clock: FixedClock(time: Timestamp(microseconds: 2_000_000_000_000_000)))
        let behind = IDGenerator(clock: FixedClock(time: Timestamp(microseconds: 1_000_000_000_000_000)))
        let foreign = ahead.next()
        #expect(behind.next() < foreign)
        behind.advance(past: foreign)
        #expect(behind.next() > foreign)
        // Moving back is ignored.
        let current = behind.next()
        behind.advance(past: EntityID(high: 0, low: 0))
        #expect(behind.next() > current)
    }
}
