import ArgumentParser
import Foundation
import Logging
import VersionerCore

/// How `serve` writes its log.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Writes each log event as one JSON object on standard output:
/// `{"time":"…","level":"info","label":"versioner","message":"…","http.status":"200",…}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("time")
        writer.string(Timestamp.now().rfc3339)
        writer.key("level")
        writer.string(event.level.rawValue)
        writer.key("label")
        writer.string(label)
        writer.key("message")
        writer.string(event.message.description)
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            writer.key(key)
            writer.string(value.description)
        }
        writer.endObject()
        var line = writer.bytes
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(Data(line))
    }
}
