import ArgumentParser
import Hummingbird
import Logging
import VersionerCore
import VersionerHTTP
import VersionerStore

#if canImport(Glibc)
import Glibc
#endif

/// `versioner serve`: runs the HTTP server until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Versioner HTTP server.",
        discussion: """
            Recovers the state from the data directory (newest snapshot, then the journal after it), \
            answering 503 until that is done, then serves. SIGTERM or SIGINT stops taking requests, \
            finishes those in flight, flushes the journal, writes a final snapshot and exits 0.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @OptionGroup var data: DataDirectoryOption

    @Option(help: "A path prefix to serve the API under, such as /api/v1.")
    var basePath = ""

    @Option(help: "The largest request body accepted, in bytes; larger ones get 413.")
    var maxBodySize = ServerConfiguration.defaultMaximumBodySize

    @Option(help: "How many shard actors hold the products (default: twice the number of cores).")
    var shards: Int?

    @Option(help: """
        When the journal syncs to disk: always (before any write is answered; the default), \
        interval (at most every second: a power loss can lose the last second), none (never: for throwaway data).
        """)
    var fsync: FsyncPolicy = .always

    @Option(help: "Take a snapshot when this many seconds have passed since the last one (if anything changed).")
    var snapshotInterval = 300

    @Option(help: "Take a snapshot when this many changes were journaled since the last one.")
    var snapshotEvery = 100_000

    @Option(help: "How many snapshot files to keep; journal segments older than the oldest are deleted.")
    var keepSnapshots = 3

    @Option(help: "The size at which a journal segment file is closed and a new one begun, in bytes.")
    var segmentSize = 64 * 1024 * 1024

    @Option(help: "The least severe log level written: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodySize > 0 else { throw ValidationError("--max-body-size must be positive") }
        if let shards, !(1...1024).contains(shards) { throw ValidationError("--shards must be between 1 and 1024") }
        guard snapshotInterval > 0 else { throw ValidationError("--snapshot-interval must be positive") }
        guard snapshotEvery > 0 else { throw ValidationError("--snapshot-every must be positive") }
        guard keepSnapshots > 0 else { throw ValidationError("--keep-snapshots must be at least 1") }
        guard segmentSize >= 4096 else { throw ValidationError("--segment-size must be at least 4096") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        var logger = Logger(label: "versioner")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let shardCount = shards ?? 2 * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let state = ServerState()
        let directory = DataDirectory(data.dataDir)
        let store = StoreService(
            configuration: StoreConfiguration(
                directory: directory, fsync: fsync, segmentSize: segmentSize,
                snapshotInterval: .seconds(snapshotInterval), snapshotEvery: snapshotEvery,
                keepSnapshots: keepSnapshots, shardCount: shardCount),
            logger: logger,
            onReady: { tracker, store in state.markReady(Backend(tracker: tracker, snapshots: store)) },
            onFatal: { message in
                // The journal cannot be trusted any more: stop at once, without answering anything else.
                printError("versioner: fatal: \(message)")
                Glibc.exit(74)
            })
        let configuration = ServerConfiguration(host: host, port: port, basePath: basePath, maximumBodySize: maxBodySize)
        let app = buildApplication(configuration: configuration, state: state, services: [store], logger: logger)
        do {
            try await app.runService()
        } catch let damage as JournalDamage {
            printError("""
                versioner: cannot start: \(damage)
                Nothing was changed. To cut the journal at that point (moving the damaged bytes aside), run:
                    versioner journal repair --data-dir \(directory.root)
                """)
            throw ExitCode(2)
        }
    }
}

extension FsyncPolicy: ExpressibleByArgument {}
