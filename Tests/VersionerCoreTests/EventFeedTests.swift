import Testing
@testable import VersionerCore

@Suite("Event feed")
struct EventFeedTests {
    /// The sequences of the next `count` events of a subscription (taken as the doorbell rings).
    func next(_ count: Int, of subscription: EventFeed.Subscription) async -> [UInt64] {
        var sequences: [UInt64] = []
        for await _ in subscription.doorbell {
            let batch = subscription.take()
            sequences += batch.events.map(\.sequence)
            if sequences.count >= count || batch.ended { break }
        }
        return sequences
    }

    @Test("Resuming after an event delivers every later one once, then the new ones")
    func resume() async throws {
        let fixture = TrackerFixture()
        var sequences: [UInt64] = []
        for version in 1...5 {
            sequences.append(try await fixture.deploy("api", "1.\(version)", .completed).sequence)
        }
        let subscription = fixture.tracker.feed.subscribe(after: sequences[1]) { _ in true }
        let sixth = try await fixture.deploy("web", "2.0", to: "staging", .started).sequence
        #expect(await next(4, of: subscription) == Array(sequences[2...]) + [sixth])
        // A build event travels the same way.
        let build = try await fixture.build("api", "1.5").sequence
        #expect(await next(1, of: subscription) == [build])
    }

    @Test("Closing the feed ends every stream after what each is owed; a new subscription resumes")
    func close() async throws {
        let fixture = TrackerFixture()
        let first = try await fixture.deploy("api", "1.0", .completed).sequence
        let all = fixture.tracker.feed.subscribe(after: nil) { _ in true }
        let none = fixture.tracker.feed.subscribe(after: nil) { _ in false }
        let second = try await fixture.deploy("api", "1.1", .completed).sequence
        fixture.tracker.feed.close()
        #expect(await next(5, of: all) == [second])
        #expect(all.take().ended)
        #expect(await next(5, of: none) == [])
        #expect(fixture.tracker.feed.consumerCount == 0)
        let resumed = fixture.tracker.feed.subscribe(after: first) { _ in true }
        #expect(await next(1, of: resumed) == [second])
    }

    @Test("A filter selects events, also in the backlog; an unknown id resumes by sequence")
    func filters() async throws {
        let fixture = TrackerFixture()
        let first = try await fixture.deploy("api", "1.0", .completed).sequence
        let web = try await fixture.deploy("web", "1.0", .completed).sequence
        let failed = try await fixture.deploy("api", "1.1", .failed).sequence
        let onlyWeb = fixture.tracker.feed.subscribe(after: first) { $0.event.event.productName == "web" }
        let later = try await fixture.deploy("web", "1.1", .completed).sequence
        #expect(await next(2, of: onlyWeb) == [web, later])
        // Sequence 0 is before everything: the whole window comes.
        let all = fixture.tracker.feed.subscribe(after: 0) { _ in true }
        #expect(await next(4, of: all) == [first, web, failed, later])
    }

    @Test("A consumer that does not read is cut off after its limit, and the feed stops holding events for it")
    func slowConsumer() async throws {
        let feed = EventFeed(windowSize: 8, consumerLimit: 3)
        let fixture = TrackerFixture()
        let recorded = try await fixture.deploy("api", "1.0", .completed)
        let subscription = feed.subscribe(after: nil) { _ in true }
        #expect(feed.consumerCount == 1)
        for sequence in 1...10 as ClosedRange<UInt64> {
            feed.publish(EventFeed.Item(sequence: sequence, event: recorded.event))
        }
        #expect(feed.consumerCount == 0)
        // It still takes what it was owed, learns it has ended, and its doorbell stops: it resumes after sequence 3.
        var delivered: [UInt64] = []
        var ended = false
        for await _ in subscription.doorbell {
            let batch = subscription.take()
            delivered += batch.events.map(\.sequence)
            ended = ended || batch.ended
        }
        #expect(delivered == [1, 2, 3] && ended)
        let resumed = feed.subscribe(after: 3) { _ in true }
        #expect(await next(3, of: resumed) == [4, 5, 6])
        // A heartbeat is queued behind the events; one that finds the queue full cuts the consumer off too.
        let beating = feed.subscribe(after: nil) { _ in true }
        beating.beat()
        #expect(beating.take().heartbeat && !beating.take().heartbeat)
        for sequence in 11...13 as ClosedRange<UInt64> {
            feed.publish(EventFeed.Item(sequence: sequence, event: recorded.event))
        }
        beating.beat()
        let last = beating.take()
        #expect(last.events.map(\.sequence) == [11, 12, 13] && last.ended && !last.heartbeat)
    }

    @Test("Each event's message is made once, whoever asks")
    func sharedMessage() async throws {
        let recorded = try await TrackerFixture().deploy("api", "1.0", .completed)
        let item = EventFeed.Item(sequence: 1, event: recorded.event)
        var made = 0
        for _ in 0..<3 { #expect(item.message.get { made += 1; return [1, 2] } == [1, 2]) }
        #expect(made == 1)
    }

    @Test("The window keeps the newest events; a resume from before it gets what it still holds")
    func window() async throws {
        let feed = EventFeed(windowSize: 4, consumerLimit: 100)
        let recorded = try await TrackerFixture().deploy("api", "1.0", .completed)
        for sequence in 1...10 as ClosedRange<UInt64> {
            feed.publish(EventFeed.Item(sequence: sequence, event: recorded.event))
        }
        let subscription = feed.subscribe(after: 2) { _ in true }
        #expect(await next(4, of: subscription) == [7, 8, 9, 10])
        let fromSeven = feed.subscribe(after: 8) { _ in true }
        feed.publish(EventFeed.Item(sequence: 11, event: recorded.event))
        #expect(await next(3, of: fromSeven) == [9, 10, 11])
    }
}

@Suite("State matrix pages")
struct StateMatrixPageTests {
    @Test("A page holds its products by name, the columns of every matching product, and the total")
    func page() async throws {
        let fixture = TrackerFixture()
        for number in 0..<25 {
            try await fixture.deploy("svc-\(String(format: "%02d", number))", "1.0", to: number == 3 ? "qa" : "production", .completed)
        }
        try await fixture.deploy("other", "1.0", to: "staging", .completed)
        let (matrix, total) = await fixture.tracker.stateMatrixPage(StateQuery(), nameContains: "SVC", offset: 10, limit: 10)
        #expect(total == 25)
        #expect(matrix.products.map(\.product.name) == (10..<20).map { "svc-\(String(format: "%02d", $0))" })
        // qa comes from svc-03, on another page; staging only from "other", which does not match.
        #expect(matrix.environments.map(\.name) == ["qa", "production"])
        let whole = await fixture.tracker.stateMatrix(StateQuery())
        let (all, count) = await fixture.tracker.stateMatrixPage(StateQuery(), nameContains: nil, offset: 0, limit: 100)
        #expect(count == 26 && all == whole)
        let (past, _) = await fixture.tracker.stateMatrixPage(StateQuery(type: .staging), nameContains: nil, offset: 0, limit: 100)
        #expect(past.products.map(\.product.name) == ["other"] && past.environments.map(\.name) == ["staging"])
    }

    @Test("Renamed and deleted products take their new places in the order of names")
    func renamesAndDeletions() async throws {
        let fixture = TrackerFixture()
        var ids: [String: EntityID] = [:]
        for name in ["delta", "alpha", "echo", "charlie", "bravo"] {
            ids[name] = try await fixture.deploy(name, "1.0", .completed).subject.deployment.productID
        }
        _ = try await fixture.tracker.updateProduct(id: ids["alpha"]!, ProductPatch(name: "foxtrot"))
        try await fixture.tracker.deleteProduct(id: ids["charlie"]!)
        try await fixture.deploy("able", "1.0", .completed)
        let expected = ["able", "bravo", "delta", "echo", "foxtrot"]
        let (matrix, total) = await fixture.tracker.stateMatrixPage(StateQuery(), nameContains: nil, offset: 0, limit: 10)
        #expect(total == 5 && matrix.products.map(\.product.name) == expected)
        #expect(await fixture.tracker.productNames().map(\.name) == expected)
        let (second, _) = await fixture.tracker.stateMatrixPage(StateQuery(), nameContains: nil, offset: 2, limit: 2)
        #expect(second.products.map(\.product.name) == ["delta", "echo"])
    }

    @Test("The order of names holds when names come and go in any order")
    func orderOfNames() {
        var names = ProductNames()
        var expected: [String: EntityID] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<500 {
            let name = "p\(Int.random(in: 0..<60, using: &generator))"
            let id = step % 3 == 0 ? nil : EntityID(high: UInt64(step), low: 0)
            names[name] = id
            expected[name] = id
            #expect(names[name] == id)
        }
        #expect(names.ordered.map(\.name) == expected.keys.sorted())
        #expect(names.ordered.map(\.id) == expected.keys.sorted().map { expected[$0]! })
        #expect(names.count == expected.count)
    }
}
