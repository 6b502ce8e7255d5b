import ArgumentParser
import Hummingbird
import Logging
import VersionerCore
import VersionerHTTP

#if canImport(Glibc)
import Glibc
#endif

/// `versioner serve`: runs the HTTP server until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Versioner HTTP server.")

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "A path prefix to serve the API under, such as /api/v1.")
    var basePath = ""

    @Option(help: "The largest request body accepted, in bytes; larger ones get 413.")
    var maxBodySize = ServerConfiguration.defaultMaximumBodySize

    @Option(help: "How many shard actors hold the products (default: twice the number of cores).")
    var shards: Int?

    @Option(help: "The least severe log level written: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodySize > 0 else { throw ValidationError("--max-body-size must be positive") }
        if let shards, !(1...1024).contains(shards) { throw ValidationError("--shards must be between 1 and 1024") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        var logger = Logger(label: "versioner")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let shardCount = shards ?? 2 * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let readiness = Readiness()
        let tracker = Tracker(shardCount: shardCount, journal: InMemoryJournal())
        readiness.markReady()
        let configuration = ServerConfiguration(host: host, port: port, basePath: basePath, maximumBodySize: maxBodySize)
        let app = buildApplication(configuration: configuration, tracker: tracker, readiness: readiness, logger: logger)
        try await app.runService()
    }
}
