import NIOCore
import Testing
@testable import VersionerCore
@testable import VersionerHTTP

@Suite("Event stream's writes")
struct EventStreamTests {
    /// The batch a consumer subscribed before `count` deployments takes after them.
    func batch(of count: Int, metadataSize: Int, api: API) async throws -> EventFeed.Batch {
        let subscription = api.tracker.feed.subscribe(after: nil) { _ in true }
        defer { subscription.close() }
        for number in 0..<count {
            try await api.deploy("api", "1.\(number)", extra: ["extra_metadata": ["notes": String(repeating: "n", count: metadataSize)]])
        }
        return subscription.take()
    }

    @Test("A busy batch goes out as its messages in order, in buffers of at most 64 KiB")
    func busyBatch() async throws {
        try await withAPI { api in
            let batch = try await batch(of: 120, metadataSize: 2_000, api: api)
            #expect(batch.events.count == 120)
            let buffers = EventStream.wire(batch)
            let expected = batch.events.flatMap { EventStream.message($0) }
            #expect(expected.count > 3 * EventStream.bufferSize)
            #expect(buffers.flatMap { Array($0.readableBytesView) } == expected)
            #expect(buffers.count > 3)
            #expect(buffers.allSatisfy { $0.readableBytes <= EventStream.bufferSize })
        }
    }

    @Test("A message larger than a buffer is sent whole in one of its own; a heartbeat comes last")
    func largeMessage() async throws {
        try await withAPI { api in
            var batch = try await batch(of: 3, metadataSize: 70_000, api: api)
            batch.heartbeat = true
            #expect(batch.events.count == 3)
            let buffers = EventStream.wire(batch)
            #expect(buffers.count == 4)
            for (buffer, item) in zip(buffers, batch.events) {
                #expect(Array(buffer.readableBytesView) == EventStream.message(item))
            }
            #expect(buffers.last.map { String(buffer: $0) } == ": heartbeat\n\n")
        }
    }

    @Test("Nothing queued and no heartbeat: nothing is written")
    func emptyBatch() {
        #expect(EventStream.wire(EventFeed.Batch()).isEmpty)
        var beat = EventFeed.Batch()
        beat.heartbeat = true
        #expect(EventStream.wire(beat).map { String(buffer: $0) } == [": heartbeat\n\n"])
    }
}
