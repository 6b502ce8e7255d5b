import Foundation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import VersionerCore
@testable import VersionerStore
import VersionerTestSupport

@Suite("Snapshots and recovery")
struct SnapshotAndRecoveryTests {
    /// A tracker journaling to files in `directory`, as the server runs it.
    func openTracker(_ directory: TemporaryDirectory) throws -> (Tracker, FileJournal) {
        let (state, report) = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
        let journal = try FileJournal.continuing(directory.data, after: report.lastSequence, logger: quietLogger, onFatal: { _ in })
        return (Tracker(shardCount: 4, journal: journal, state: state), journal)
    }

    func recovered(_ directory: TemporaryDirectory) throws -> (Tracker, RecoveryReport) {
        let (state, report) = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
        return (Tracker(shardCount: 2, journal: InMemoryJournal(), state: state), report)
    }

    @Test("A large state survives a snapshot round trip")
    func largeRoundTrip() async throws {
        try await withTemporaryDirectory { directory in
            let tracker = Tracker(shardCount: 4, journal: InMemoryJournal())
            try await sendEvents(to: tracker, count: 900, products: 60)
            let capture = await tracker.capture()
            let info = try SnapshotStore.write(capture, to: directory.data.snapshots)
            #expect(info.header.uncompressedLength > UInt64(info.fileBytes))  // it compresses
            let loaded = try SnapshotStore.load(info.path)
            let restored = Tracker(shardCount: 3, journal: InMemoryJournal(), state: loaded.state)
            #expect(await TrackerContents(restored) == TrackerContents(tracker))
        }
    }

    @Test("Remembered requests survive a snapshot: answers for their keys, and events' recent retries")
    func requestsInSnapshot() async throws {
        try await withTemporaryDirectory { directory in
            let tracker = Tracker(shardCount: 2, journal: InMemoryJournal())
            let input = DeploymentEventInput(productName: "p", version: "1", environmentName: "production", status: .completed,
                                             [.invokeID: "run-1"])
            let tag = RequestTag(key: .implicit(client: "admin", digest: [7]), digest: [7])
            let recorded = try await tracker.record(input, request: tag)
            let key = RequestKey.explicit(client: "admin", key: "create")
            try await tracker.keep(StoredAnswer(status: 201, body: [1, 2, 3]), for: key, digest: [4])
            let info = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            let loaded = try SnapshotStore.load(info.path)
            let restored = Tracker(shardCount: 2, journal: InMemoryJournal(), state: loaded.state)
            #expect(restored.requests.claim(tag.key, digest: [7], at: tracker.now())
                == .replay(RequestEntry(digest: [7], acceptedAt: recorded.event.event.recordedAt,
                                        subject: .deployment(recorded.subject.deployment.id))))
            guard case .replay(let entry) = restored.requests.claim(key, digest: [4], at: tracker.now()) else {
                Issue.record("the kept answer is gone")
                return
            }
            #expect(entry.answer == StoredAnswer(status: 201, body: [1, 2, 3]))
            #expect(restored.requests.claim(key, digest: [5], at: tracker.now()) == .differentBody)
        }
    }

    @Test("Webhooks and their outbox survive a snapshot: secrets, deliveries owed, and the deliveries log")
    func outboxInSnapshot() async throws {
        try await withTemporaryDirectory { directory in
            let journal = InMemoryJournal()
            let tracker = Tracker(shardCount: 2, journal: journal)
            var webhooks: [Webhook] = []
            for (name, events) in [("all", ["*"]), ("failures", ["deployment.failed"])] {
                let webhook = try tracker.newWebhook([JSONMember("name", .string(name)), JSONMember("url", .string("https://example.com/\(name)")),
                                                      JSONMember("events", .array(events.map(JSONValue.string))),
                                                      JSONMember("secret", .string("secret-\(name)"))])
                try await tracker.saveWebhook(webhook, isNew: true)
                webhooks.append(webhook)
            }
            for version in ["1", "2", "3"] {
                _ = try await tracker.record(DeploymentEventInput(productName: "p", version: version, environmentName: "production",
                                                                  status: .completed, [:]))
            }
            let first = try #require(tracker.outbox.withState { $0.pending(webhookID: webhooks[0].id).first })
            try await tracker.finishDelivery(DeliveryOutcome(
                deliveryID: first.id, webhookID: first.webhookID, eventID: first.eventID, eventType: "deployment.completed",
                attempts: [DeliveryAttempt(at: tracker.now(), statusCode: 204, error: nil, durationMicroseconds: 42)]))
            let info = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            let loaded = try SnapshotStore.load(info.path)
            #expect(loaded.state.catalog.webhooks == webhooks)
            #expect(loaded.state.catalog.webhooks.map(\.secret) == ["secret-all", "secret-failures"])
            #expect(loaded.state.outbox.pending == tracker.outbox.withState(\.pending))
            #expect(loaded.state.outbox.pending.count == 2)
            #expect(loaded.state.outbox.logs == tracker.outbox.withState(\.logs))
            // A replay over the snapshot of events its outbox owes already owes them once, and
            // an event after it owes its own.
            var replay = ReplayState(loaded)
            for (index, change) in journal.changes.enumerated() { replay.apply(change, sequence: UInt64(index + 1)) }
            #expect(replay.state.outbox.pending == loaded.state.outbox.pending)
            #expect(replay.state.outbox.pendingCount == 2)
            let later = try #require(journal.changes.last { if case .deploymentEvent = $0 { true } else { false } })
            guard case .deploymentEvent(var event) = later else { return }
            event.deliveries = event.deliveries.map { PendingDelivery(id: tracker.newDeliveryID(), webhookID: $0.webhookID,
                                                                      productID: $0.productID, eventID: $0.eventID) }
            replay.apply(.deploymentEvent(event), sequence: UInt64(journal.changes.count + 1))
            #expect(replay.state.outbox.pendingCount == 2 + event.deliveries.count)
            // Ids issued after a restart sort after every delivery's.
            let restored = Tracker(shardCount: 2, journal: InMemoryJournal(), state: loaded.state)
            #expect(restored.newDeliveryID() > loaded.state.outbox.pending.map(\.id).max()!)
        }
    }

    @Test("Recovery starts from the newest snapshot and replays only the journal after it")
    func snapshotThenJournal() async throws {
        try await withTemporaryDirectory { directory in
            let (tracker, journal) = try openTracker(directory)
            try await sendEvents(to: tracker, count: 120)
            let info = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            try await sendEvents(to: tracker, count: 80, seed: 1000)
            await journal.close()
            let (restored, report) = try recovered(directory)
            #expect(report.snapshot?.path == info.path)
            #expect(report.replayed == Int(journal.lastSequence - info.sequence))
            #expect(await TrackerContents(restored) == TrackerContents(tracker))
        }
    }

    /// Writes a snapshot as the server does (a live capture, on a thread of its own) or all at once.
    func snapshot(_ tracker: Tracker, to directory: TemporaryDirectory, live: Bool) async throws {
        if live {
            let capture = await tracker.liveCapture()
            _ = try await SnapshotStore.write(capture, to: directory.data.snapshots)
        } else {
            _ = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
        }
    }

    @Test("Snapshots taken while events keep arriving recover to exactly the live state",
          arguments: [false, true])  // captured all at once; product by product, as the server does
    func snapshotsDuringIngest(live: Bool) async throws {
        try await withTemporaryDirectory { directory in
            let (tracker, journal) = try openTracker(directory)
            try await sendEvents(to: tracker, count: 30, products: 9, seed: 50_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask { try await sendEvents(to: tracker, count: 60, products: 9, seed: writer * 10_000) }
                }
                group.addTask {
                    // A product deleted while snapshots are being written.
                    if let product = await tracker.products(PageRequest()).items.first {
                        try await tracker.deleteProduct(id: product.id)
                    }
                }
                group.addTask {
                    for _ in 0..<5 {
                        try await snapshot(tracker, to: directory, live: live)
                        await Task.yield()
                    }
                }
                try await group.waitForAll()
            }
            // One environment deleted between snapshots too.
            if let environment = tracker.environments(type: .dev, PageRequest()).items.first {
                try await tracker.deleteEnvironment(id: environment.id)
            }
            try await snapshot(tracker, to: directory, live: live)
            try await sendEvents(to: tracker, count: 20, seed: 99_000)
            await journal.close()
            let (restored, _) = try recovered(directory)
            #expect(await TrackerContents(restored) == TrackerContents(tracker))
        }
    }

    @Test("A product copied after an environment's deletion was journaled, but before its deployments were dropped, loses them on recovery")
    func environmentDeletedDuringCapture() async throws {
        try await withTemporaryDirectory { directory in
            let (tracker, journal) = try openTracker(directory)
            _ = try await tracker.record(DeploymentEventInput(productName: "api", version: "1", environmentName: "dev",
                                                             status: .completed))
            _ = try await tracker.record(DeploymentEventInput(productName: "api", version: "1", environmentName: "prod",
                                                             status: .completed))
            let before = await tracker.capture()
            let dev = try #require(tracker.environments(type: .dev, PageRequest()).items.first)
            try await tracker.deleteEnvironment(id: dev.id)
            let after = await tracker.capture()
            await journal.close()
            // The catalog after the deletion; the product as it was before its shard dropped the
            // deployments, yet marked as copied after the deletion (the window a capture can hit).
            let racy = StateCapture(catalog: after.catalog, catalogSequence: after.catalogSequence,
                                    shards: before.shards.map { (after.catalogSequence, $0.products) })
            _ = try SnapshotStore.write(racy, to: directory.data.snapshots)
            let (restored, report) = try recovered(directory)
            #expect(report.replayed == 0)
            let deployments = await restored.deployments(DeploymentQuery(), PageRequest(limit: 10)).items
            #expect(deployments.map(\.environmentName) == ["prod"])
            #expect(await TrackerContents(restored) == TrackerContents(tracker))
        }
    }

    @Test("Rules, approvals and refusals survive the journal and a snapshot, and go on deciding the same")
    func rulesAfterRecovery() async throws {
        try await withTemporaryDirectory { directory in
            let (tracker, journal) = try openTracker(directory)
            func rule(_ json: String) async throws -> DeploymentRule {
                try await tracker.createRule(try JSONValue(parsing: json).objectMembers!)
            }
            func start(_ version: String, skip: Bool = false) async -> TrackerError? {
                do {
                    _ = try await tracker.record(DeploymentEventInput(productName: "shop", version: version,
                                                                      environmentName: "production", status: .started),
                                                 skipPreflight: skip)
                    return nil
                } catch {
                    return error
                }
            }
            _ = try await rule(#"{"name": "Always closed", "type": "schedule", "mode": "report_only", "schedule": {"timezone": "Europe/Berlin", "windows": [{"start": "00:00", "end": "00:00"}]}}"#)
            let approval = try await rule(#"{"name": "Approve", "type": "approval", "environments": ["production"], "approval": {"required_approvals": 1}}"#)
            #expect(await start("1") != nil)  // refused: no approval
            #expect(await start("1", skip: true) == nil)  // skipped
            let version = try #require(await tracker.versions(named: "1").first?.version.id)
            _ = try await tracker.approve(versionID: version, NewApproval(environment: "production", comment: "ok"), by: "lead")
            _ = try await SnapshotStore.write(await tracker.liveCapture(), to: directory.data.snapshots)
            _ = try await tracker.updateRule(id: approval.id, try JSONValue(parsing: #"{"allow_skip": false}"#).objectMembers!)
            #expect(await start("2", skip: true) != nil)  // refused after the snapshot: replayed from the journal
            let before = await TrackerContents(tracker)
            #expect(before.rules.count == 2)
            #expect(before.violations.count == 6)
            await journal.close()
            let (restored, report) = try recovered(directory)
            #expect(report.snapshot != nil)
            #expect(await TrackerContents(restored) == before)
            // The recovered rules decide as before: version 2 still lacks an approval, version 1 has one.
            let check = { (version: String) in
                await restored.preflight(PreflightQuestion(productName: "shop", version: version, environmentName: "production"))
                    .blocking?.failure?.code
            }
            #expect(await check("2") == .approvalRequired)
            #expect(await check("1") == nil)
        }
    }

    @Test("A corrupt newest snapshot is set aside and the previous one used")
    func corruptNewestFallsBack() async throws {
        try await withTemporaryDirectory { directory in
            let (tracker, journal) = try openTracker(directory)
            try await sendEvents(to: tracker, count: 50)
            let older = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            try await sendEvents(to: tracker, count: 50, seed: 500)
            let newer = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            await journal.close()
            var bytes = try PosixFile.readAll(newer.path)
            bytes[bytes.count - 10] ^= 0xFF
            try Data(bytes).write(to: URL(filePath: newer.path))

            let (restored, report) = try recovered(directory)
            #expect(report.snapshot?.path == older.path)
            #expect(FileManager.default.fileExists(atPath: newer.path + ".broken"))
            #expect(!FileManager.default.fileExists(atPath: newer.path))
            #expect(await TrackerContents(restored) == TrackerContents(tracker))
        }
    }

    @Test("Damaged snapshot files are refused by their checks", arguments: [0, 5, 12, 20, 33, 38, 41, -1])
    func damagedSnapshot(byte: Int) async throws {
        try await withTemporaryDirectory { directory in
            let tracker = Tracker(shardCount: 2, journal: InMemoryJournal())
            try await sendEvents(to: tracker, count: 30)
            let info = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            var bytes = try PosixFile.readAll(info.path)
            let index = byte >= 0 ? byte : bytes.count - 1
            bytes[index] ^= 0x40
            #expect(throws: SnapshotError.self) { try SnapshotFormat.decode(bytes, path: info.path) }
            #expect(throws: SnapshotError.self) { try SnapshotFormat.decode(Array(bytes.prefix(bytes.count / 2)), path: info.path) }
        }
    }

    @Test("The DORA figures are derived: replaying the journal, or loading a snapshot, gives the same")
    func insightsAfterRecovery() async throws {
        try await withTemporaryDirectory { directory in
            let (tracker, journal) = try openTracker(directory)
            func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }
            let history: [(String, String, Status, String)] = [
                ("api", "1", .completed, "2026-03-02T10:00:00Z"), ("api", "2", .completed, "2026-03-02T12:00:00Z"),
                ("api", "1", .completed, "2026-03-02T14:00:00Z"),  // a rollback: 2 is a change failure
                ("api", "3", .failed, "2026-03-03T10:00:00Z"), ("web", "1", .completed, "2026-03-03T11:00:00Z"),
                ("api", "3", .completed, "2026-03-04T10:00:00Z"), ("web", "2", .completed, "2026-03-05T11:00:00Z"),
            ]
            for (product, version, status, time) in history {
                _ = try await tracker.record(BuildEventInput(productName: product, version: version,
                                                             startedAt: Timestamp(microseconds: at(time).microseconds - 3_600_000_000)))
                _ = try await tracker.record(DeploymentEventInput(productName: product, version: version, environmentName: "production",
                                                                  status: status, completedAt: at(time)))
            }
            let window = try InsightsWindow(since: at("2026-03-02T00:00:00Z"), until: at("2026-03-09T00:00:00Z"),
                                            interval: .day, timeZone: "UTC")
            func figures(_ tracker: Tracker) async throws -> [String] {
                let scope = try await tracker.environments(named: [], orType: .production)
                let dora = try await tracker.dora(DoraQuery(product: nil, environmentIDs: Set(scope.map(\.id)), window: window))
                let builds = try await tracker.buildInsights(BuildInsightsQuery(product: nil, branch: nil, window: window))
                let t = dora.totals
                return ["\(t.counted) \(t.completed) \(t.failures) \(t.rework)", "\(t.leadTimes.sorted())",
                        "\(t.recoveryTimes.sorted())", "\(t.gaps.sorted())", "\(dora.failureIDs) \(dora.reworkIDs)",
                        "\(dora.buckets.map(\.counted))", "\(builds.totals.builds) \(builds.buckets.map(\.builds))"]
            }
            let live = try await figures(tracker)
            #expect(live[0] == "7 6 2 1")  // counted, completed, failures (2 and the failed 3), rework (the rollback)
            let info = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            await journal.close()
            // From the journal alone (the snapshot set aside), then from the snapshot.
            try FileManager.default.moveItem(atPath: info.path, toPath: info.path + ".aside")
            let (replayed, report) = try recovered(directory)
            #expect(report.snapshot == nil && report.replayed > 0)
            #expect(try await figures(replayed) == live)
            try FileManager.default.moveItem(atPath: info.path + ".aside", toPath: info.path)
            let (loaded, fromSnapshot) = try recovered(directory)
            #expect(fromSnapshot.snapshot != nil && fromSnapshot.replayed == 0)
            #expect(try await figures(loaded) == live)
        }
    }

    @Test("Old snapshots and the journal segments they have passed are pruned")
    func pruning() async throws {
        try await withTemporaryDirectory { directory in
            let (state, _) = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
            let journal = try FileJournal(directory: directory.data.journal, nextSequence: 1,
                                          options: .init(segmentSize: 4096), logger: quietLogger, onFatal: { _ in })
            let tracker = Tracker(shardCount: 2, journal: journal, state: state)
            for round in 0..<4 {
                try await sendEvents(to: tracker, count: 40, seed: round * 100)
                _ = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            }
            let segmentsBefore = try JournalReader.segmentFiles(in: directory.data.journal).count
            let oldest = try #require(try SnapshotStore.prune(directory.data.snapshots, keep: 2))
            let removed = try SnapshotStore.pruneJournal(directory.data.journal, through: oldest)
            #expect(try SnapshotStore.list(directory.data.snapshots).snapshots.count == 2)
            #expect(removed > 0)
            #expect(try JournalReader.segmentFiles(in: directory.data.journal).count == segmentsBefore - removed)
            await journal.close()
            // Both kept snapshots can still start a recovery: the journal after the oldest is whole.
            let (restored, _) = try recovered(directory)
            #expect(await TrackerContents(restored) == TrackerContents(tracker))
            let newest = try #require(try SnapshotStore.list(directory.data.snapshots).snapshots.first)
            try FileManager.default.removeItem(atPath: newest.path)
            let (fromOlder, _) = try recovered(directory)
            #expect(await TrackerContents(fromOlder) == TrackerContents(tracker))
        }
    }

    @Test("A point-in-time recovery replays only what was journaled by then")
    func pointInTime() async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock()
            let journal = try FileJournal(directory: directory.data.journal, nextSequence: 1, options: .init(clock: clock),
                                          logger: quietLogger, onFatal: { _ in })
            let tracker = Tracker(shardCount: 4, journal: journal, clock: clock)
            try await sendEvents(to: tracker, count: 30)
            let info = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            _ = try await tracker.record(BuildEventInput(productName: "early", version: "1"))
            let cutoff = clock.now()  // journaled at the cutoff itself: kept
            clock.advance(bySeconds: 1)
            _ = try await tracker.record(BuildEventInput(productName: "late", version: "1"))
            await journal.close()
            let (state, report) = try Recovery.recover(directory.data, snapshotPath: info.path, stopAt: cutoff,
                                                       cutTornTail: false, logger: quietLogger)
            let names = Set(state.products.values.map(\.product.name))
            #expect(names.contains("early"))
            #expect(!names.contains("late"))
            #expect(report.stoppedBefore?.sequence == journal.lastSequence)
        }
    }

    @Test("Graceful shutdown writes a final snapshot, and the next start replays nothing")
    func gracefulShutdown() async throws {
        try await withTemporaryDirectory { directory in
            let ready = AsyncStream<Tracker>.makeStream()
            let store = StoreService(
                configuration: StoreConfiguration(directory: directory.data, shardCount: 2),
                logger: quietLogger, onReady: { tracker, _ in ready.continuation.yield(tracker) }, onFatal: { _ in })
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await store.run() }
                    var iterator = ready.stream.makeAsyncIterator()
                    let tracker = try #require(await iterator.next())
                    try await sendEvents(to: tracker, count: 25)
                    trigger.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
            }
            let (_, report) = try recovered(directory)
            #expect(report.replayed == 0)
            #expect(report.snapshot != nil)
            #expect(report.lastSequence == report.snapshot?.sequence)
            #expect(report.lastSequence > 25)
        }
    }

    @Test("The committed example data directories still load (old files keep working)",
          arguments: ["example", "example-v3", "example-v4", "example-v5"])  // snapshot formats 1, 3, 4 and 5
    func committedExample(name: String) throws {
        let (state, report) = try recoverCommittedExample(name)
        #expect(report.snapshot != nil)
        #expect(report.replayed > 0)
        #expect(report.tornTail == nil)
        let names = Set(state.products.values.map(\.product.name))
        #expect(names == ["billing", "checkout", "search"])
        let deployments = state.products.values.flatMap(\.deployments)
        #expect(deployments.count == 6)
        #expect(Set(state.catalog.environments.values.map(\.name)) == ["staging", "production"])
        let builds = state.products.values.flatMap(\.builds)
        #expect(builds.count == 3)
        // Field values, not only counts: each format's field order must be read as it was written.
        #expect(builds.contains { $0[.errorMessage] == "tests failed" && $0.status == .failed })
        // Two events laid over each other: the SHA of the first, the status of the second.
        #expect(builds.contains {
            $0[.scmSha] == String(repeating: "2", count: 40) && $0.invokeID == "b2" && $0.status == .completed
        })
        #expect(builds.contains { $0[.buildNumber] == "1" && $0[.errorMessage] == nil })
        let staging = deployments.filter { $0.extraMetadata == RawJSONObject(members: [JSONMember("by", .string("example"))]) }
        #expect(staging.count == 3)
        #expect(deployments.contains { $0.invokeID == "d1" && $0.status == .completed })
    }

    @Test("The committed example of snapshot format 5 keeps its rules, approval and refusal")
    func committedExampleWithRules() throws {
        let (state, report) = try recoverCommittedExample("example-v5")
        #expect(report.snapshot?.header.version == 5)
        #expect(state.catalog.rules.map(\.name).sorted() == ["Always noted", "Billing approval"])
        let billing = try #require(state.products.values.first { $0.product.name == "billing" })
        #expect(billing.approvals.map(\.environment) == ["production"])
        #expect(billing.approvals.first?.comment == "example")
        // Refused before the snapshot (no approval yet), noted as report-only after it.
        let preflights = billing.preflightEvents.compactMap(\.preflight)
        #expect(preflights.map(\.blocked) == [true, false])
        #expect(billing.events.filter { $0.eventType == "deployment.preflight_failed" }.count == 1)
    }

    private func recoverCommittedExample(_ name: String) throws -> (TrackerState, RecoveryReport) {
        let example = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "snapshots/\(name)").path()
        let copy = TemporaryDirectory()
        defer { copy.remove() }
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: example, toPath: copy.path)
        return try Recovery.recover(copy.data, cutTornTail: false, logger: quietLogger)
    }
}
