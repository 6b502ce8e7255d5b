import HTTPTypes
import Hummingbird
import ServiceLifecycle
import VersionerCore

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// `GET /events/stream`: accepted events as server-sent events, as they become durable.
///
/// Each message is `id: <journal sequence>`, `event: <event_type>` and `data: <the event object
/// of /events/>`. `Last-Event-ID` (or `?after=`) resumes after that event; a comment every
/// ``heartbeatInterval`` keeps proxies from closing an idle stream. A consumer that falls more
/// than the feed's limit behind is cut off: its stream ends and it resumes with `Last-Event-ID`.
enum EventStream {
    static let heartbeatInterval = Duration.seconds(15)
    /// How long a stream waits after an event for others to send with it.
    static let coalescing = Duration.milliseconds(50)

    static var route: Route {
        Route(.get, "/events/stream") { input throws(APIError) in
            var reader = QueryReader(input.query)
            let type = reader.eventType()
            let query = EventQuery(product: reader.text("product"), environment: reader.text("environment"),
                                   kind: type?.kind, status: type?.status, refused: type?.refused)
            let after = reader.sequence("after") ?? reader.sequence(header: input.request.headers[.lastEventID])
            try reader.check()
            let subscription = input.tracker.feed.subscribe(after: after) { item in
                (query.product == nil || item.event.event.productName == query.product) && query.matches(item.event.event)
            }
            let headers: HTTPFields = [
                .contentType: "text/event-stream; charset=utf-8",
                .cacheControl: "no-store",
                HTTPField.Name("X-Accel-Buffering")!: "no",  // nginx: pass each message on at once
            ]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                defer { subscription.close() }
                // When the server shuts down, every stream ends (the server waits for open answers).
                try await withGracefulShutdownHandler {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while true {
                                try await Task.sleep(for: heartbeatInterval)
                                subscription.beat()
                            }
                        }
                        // A first line at once, so that a client sees the stream open.
                        try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                        // Everything queued since the last write goes out in one write, after a
                        // moment's wait for more: a consumer then costs a few writes a second
                        // however busy ingest is, instead of a wake-up and a write per event.
                        for await _ in subscription.doorbell {
                            try await Task.sleep(for: coalescing)
                            let batch = subscription.take()
                            let buffers = wire(batch)
                            if !buffers.isEmpty { try await writer.write(contentsOf: buffers) }
                            if batch.ended { break }
                        }
                        group.cancelAll()
                    }
                } onGracefulShutdown: {
                    subscription.end()
                }
                try await writer.finish(nil)
            })
        }
    }

    /// How large one buffer of a batch grows. Small enough for the allocator to reuse freed
    /// ones: a buffer of a whole busy batch (hundreds of KB) is a fresh mapping each time, and
    /// faulting its pages in cost more than copying into them.
    static let bufferSize = 64 * 1024

    /// A batch's messages (and heartbeat), copied once into buffers of up to ``bufferSize``
    /// (a larger message gets one of its own); empty when there is nothing to send.
    static func wire(_ batch: EventFeed.Batch) -> [ByteBuffer] {
        var messages = batch.events.map { item in item.message.get { message(item) } }
        if batch.heartbeat { messages.append(Array(": heartbeat\n\n".utf8)) }
        var buffers: [ByteBuffer] = []
        var start = messages.startIndex
        while start < messages.endIndex {
            var end = start + 1
            var size = messages[start].count
            while end < messages.endIndex, size + messages[end].count <= bufferSize {
                size += messages[end].count
                end += 1
            }
            var buffer = ByteBufferAllocator().buffer(capacity: size)
            for message in messages[start..<end] { buffer.writeBytes(message) }
            buffers.append(buffer)
            start = end
        }
        return buffers
    }

    /// One event's message of the stream.
    static func message(_ item: EventFeed.Item) -> [UInt8] {
        var writer = JSONWriter()
        writer.event(item.event)
        // JSON has no raw line breaks (they are escaped in strings), so the object is one data line.
        return Array("id: \(item.sequence)\nevent: \(item.event.event.eventType)\ndata: ".utf8) + writer.bytes + Array("\n\n".utf8)
    }
}

extension QueryReader {
    /// The `Last-Event-ID` header as a journal sequence; an id that is not one is ignored, as a
    /// browser's EventSource may send back whatever it last saw.
    func sequence(header value: String?) -> UInt64? {
        value.flatMap { $0.split(separator: " ").first.flatMap { UInt64($0) } }
    }
}
