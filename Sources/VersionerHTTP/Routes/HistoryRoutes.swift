import HTTPTypes
import Hummingbird
import VersionerCore

/// Moving history in and out (docs/API.md §10): `POST /import/` and `GET /events/export`.
enum HistoryRoutes {
    /// How many events an export reads from a product at a time: it holds no more than this.
    static let exportChunk = 1000

    static func routes(maximumImportSize: Int) -> [Route] {
        [
            Route(.post, "/import", bodyLimit: maximumImportSize) { input throws(APIError) in
                if let contentType = input.request.headers[.contentType], !acceptsAsLines(contentType) {
                    throw APIError(.unsupportedMediaType, "Unsupported media type: send application/x-ndjson, one event a line")
                }
                var input = input
                let buffer = try await input.bufferedBody()
                let body = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
                let tracker = input.tracker
                let events: [ImportedEvent]
                switch await HistoryLines.parse(body, now: tracker.now(), knownShas: { await tracker.versionShas($0) }) {
                case .success(let parsed): events = parsed
                case .failure(let problems): throw APIError(problems.errors)
                }
                let summary = try await tracked { () throws(TrackerError) in try await tracker.importEvents(events) }
                return Reply.json { writer in
                    writer.beginObject()
                    writer.key("imported")
                    writer.int(summary.imported)
                    writer.field("first_event_id", summary.firstEventID)
                    writer.field("last_event_id", summary.lastEventID)
                    writer.endObject()
                }
            },
            Route(.get, "/events/export", scope: .admin) { input throws(APIError) in
                var reader = QueryReader(input.query)
                let (since, until, product) = (reader.timestamp("since"), reader.timestamp("until"), reader.text("product"))
                try reader.check()
                let tracker = input.tracker
                let headers: HTTPFields = [.contentType: "application/x-ndjson",
                                           .contentDisposition: "attachment; filename=\"versioner-events.ndjson\""]
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    for (name, id) in await tracker.productNames() where product == nil || product == name {
                        var start = 0
                        while let chunk = await tracker.events(ofProduct: id, from: start, limit: exportChunk), !chunk.isEmpty {
                            start += chunk.count
                            var bytes: [UInt8] = []
                            for event in chunk where includes(event, since: since, until: until) {
                                var line = JSONWriter(capacity: 512)
                                line.historyLine(event)
                                bytes += line.bytes
                                bytes.append(0x0A)
                            }
                            if !bytes.isEmpty { try await writer.write(ByteBuffer(bytes: bytes)) }
                        }
                    }
                    try await writer.finish(nil)
                })
            },
        ]
    }

    /// Whether an export carries `event`: recorded within the window, and not a refusal (a
    /// deployment a rule refused was never made; imported, it would be).
    private static func includes(_ event: LoggedEvent, since: Timestamp?, until: Timestamp?) -> Bool {
        !event.isPreflightFailure && (since.map { event.recordedAt >= $0 } ?? true) && (until.map { event.recordedAt <= $0 } ?? true)
    }

    /// NDJSON under its names, and plain text.
    static func acceptsAsLines(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: " \t").lowercased() } ?? ""
        return ["", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
                "text/plain", "application/octet-stream"].contains(mediaType)
    }
}

extension HTTPField.Name {
    static let contentDisposition = HTTPField.Name("Content-Disposition")!
}
