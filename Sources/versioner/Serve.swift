import ArgumentParser
import CoreMetrics
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import VersionerCore
import VersionerHTTP
import VersionerPostgres
import VersionerStore
import VersionerTimeZones

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

            Every request but /health, /ready, /openapi.json, /docs and /metrics (unless \
            --metrics-require-key) needs `Authorization: Bearer <key>`. The key in \
            $VERSIONER_ADMIN_KEY is an admin key. Without it, the first start on a data directory \
            without keys creates an admin key and writes it to <data-dir>/admin.key (mode 0600).

            Every option can also be set with an environment variable (a flag given on the command \
            line wins): --data-dir ↔ VERSIONER_DATA_DIR, --journal ↔ VERSIONER_JOURNAL, \(EnvironmentOptions.help).

            With --journal postgres://…, the journal is a PostgreSQL table and several servers may \
            share it: one owns it and takes writes, the others stand by, follow it, and hand \
            requests to the owner; when the owner goes away, one of them takes over. A password \
            can also come from $PGPASSWORD. Snapshots stay in each node's --data-dir.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @OptionGroup var data: DataDirectoryOption

    @Option(help: """
        Where the journal lives: file (in --data-dir; the default), or a PostgreSQL URL \
        postgres://user@host:port[,host:port…]/database shared by several nodes.
        """)
    var journal: String?

    @Flag(help: "With a PostgreSQL journal: at start, keep retrying an unreachable database (/ready answers 503) instead of exiting.")
    var journalWait = false

    @Option(help: "With a PostgreSQL journal: this node's name, unique among the nodes (default: the host name and port).")
    var nodeName: String?

    @Option(help: """
        With a PostgreSQL journal: the URL the other nodes hand requests to while this node owns \
        the journal, such as http://10.0.0.5:8080 (default: http://<host>:<port>, unless --host \
        listens on every address).
        """)
    var advertiseUrl: String?

    @Option(help: "With a PostgreSQL journal: a standby takes over from an owner whose heartbeat is older than this many seconds.")
    var heartbeatTimeout = 5

    @Option(help: "A path prefix to serve the API under, such as /api/v1.")
    var basePath = ""

    @Option(help: "The largest request body accepted, in bytes; larger ones get 413.")
    var maxBodySize = ServerConfiguration.defaultMaximumBodySize

    @Option(help: "The largest history file POST /import/ takes, in bytes (default 64 MiB).")
    var maxImportSize = ServerConfiguration.defaultMaximumImportSize

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

    @Option(help: "How log lines are written: text, or json (one object a line).")
    var logFormat: LogFormat = .text

    @Option(help: "The account slug in the keys this server issues (sk_<account>_…): lowercase letters, digits, '-'.")
    var account = "local"

    @Option(help: "Close a connection that sends nothing for this many seconds.")
    var idleTimeout = 60

    @Option(help: "Close a connection whose request has not arrived whole within this many seconds.")
    var requestTimeout = 30

    @Option(help: "The most connections open at once; more wait to be accepted.")
    var maxConnections = 1024

    @Flag(help: "Require a key with the read scope for GET /metrics (by default it is public).")
    var metricsRequireKey = false

    @Option(help: """
        The origin of a web page allowed to call the API from a browser (CORS), such as \
        https://dash.example.com, or * for any. Default: none.
        """)
    var corsOrigin: String?

    @Flag(inversion: .prefixedNo, help: "Serve the dashboard: the state matrix at /, and pages under /ui/.")
    var dashboard = true

    @Option(help: "How long a dashboard sign-in lasts, in seconds.")
    var sessionTtl = 12 * 3_600

    @Flag(help: "Mark the dashboard's session cookie Secure (serve behind TLS).")
    var cookieSecure = false

    @Option(help: """
        The URL people reach this server at, such as https://versioner.example.com: webhook         deliveries link the dashboard's pages under it (default: --advertise-url, else http://<host>:<port>).
        """)
    var publicUrl: String?

    @Flag(help: "Let webhooks send to loopback, private and link-local addresses (by default they are refused).")
    var webhookAllowPrivate = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodySize > 0 else { throw ValidationError("--max-body-size must be positive") }
        guard maxImportSize > 0 else { throw ValidationError("--max-import-size must be positive") }
        if let shards, !(1...1024).contains(shards) { throw ValidationError("--shards must be between 1 and 1024") }
        guard snapshotInterval > 0 else { throw ValidationError("--snapshot-interval must be positive") }
        guard snapshotEvery > 0 else { throw ValidationError("--snapshot-every must be positive") }
        guard keepSnapshots > 0 else { throw ValidationError("--keep-snapshots must be at least 1") }
        guard segmentSize >= 4096 else { throw ValidationError("--segment-size must be at least 4096") }
        guard APIKeys.isValidAccount(account) else {
            throw ValidationError("--account must be 1 to 32 lowercase letters, digits or '-'")
        }
        guard idleTimeout > 0, requestTimeout > 0 else { throw ValidationError("--idle-timeout and --request-timeout must be positive") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard sessionTtl > 0 else { throw ValidationError("--session-ttl must be positive") }
        guard (2...600).contains(heartbeatTimeout) else { throw ValidationError("--heartbeat-timeout must be between 2 and 600 seconds") }
        if let advertiseUrl, !(advertiseUrl.hasPrefix("http://") || advertiseUrl.hasPrefix("https://")) {
            throw ValidationError("--advertise-url must be an http:// or https:// URL")
        }
        if let publicUrl, !(publicUrl.hasPrefix("http://") || publicUrl.hasPrefix("https://")) {
            throw ValidationError("--public-url must be an http:// or https:// URL")
        }
        if let nodeName, nodeName.isEmpty || nodeName.utf8.count > 128 {
            throw ValidationError("--node-name must be 1 to 128 characters")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        Allocator.returnLargeBlocksWhenFreed()
        let format = logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .text: return StreamLogHandler.standardOutput(label: label)
            case .json: return JSONLogHandler(label: label)
            }
        }
        var logger = Logger(label: "versioner")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if !TimeZoneDatabase.system.isInstalled {
            logger.warning("no time zone database: schedules and insights know only UTC; install tzdata or set TZDIR",
                           metadata: ["directory": "\(TimeZoneDatabase.system.directory)"])
        }
        // One Prometheus registry for the whole process: what swift-metrics records anywhere lands
        // in it, and GET /metrics renders it.
        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let shardCount = shards ?? 2 * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let state = ServerState()
        let directory = DataDirectory(data.dataDir)
        let adminKey = ProcessInfo.processInfo.environment["VERSIONER_ADMIN_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let account = self.account
        let serverLogger = logger
        let store: any Service
        var nodeName: String?
        switch try JournalChoice(journal ?? ProcessInfo.processInfo.environment["VERSIONER_JOURNAL"]) {
        case .file:
            store = StoreService(
                configuration: StoreConfiguration(
                    directory: directory, fsync: fsync, segmentSize: segmentSize,
                    snapshotInterval: .seconds(snapshotInterval), snapshotEvery: snapshotEvery,
                    keepSnapshots: keepSnapshots, shardCount: shardCount, metrics: StoreMetrics(factory: metrics.factory)),
                logger: logger,
                onReady: { tracker, store in
                    if adminKey == nil {
                        try await bootstrapAdminKey(tracker: tracker, directory: directory, account: account, logger: serverLogger)
                    }
                    state.markReady(Backend(tracker: tracker, snapshots: store, account: account))
                    serverLogger.info("ready to serve")
                },
                onFatal: { message in
                    // The journal cannot be trusted any more: stop at once, without answering anything else.
                    printError("versioner: fatal: \(message)")
                    Glibc.exit(74)
                })
        case .postgres(var location):
            if location.password == nil { location.password = ProcessInfo.processInfo.environment["PGPASSWORD"] }
            let name = self.nodeName ?? "\(ProcessInfo.processInfo.hostName):\(port)"
            guard let advertised = advertiseUrl ?? (["0.0.0.0", "::", ""].contains(host) ? nil : "http://\(host):\(port)") else {
                throw ValidationError("--advertise-url is needed with --host \(host): the other nodes must know where to reach this one")
            }
            nodeName = name
            state.update(node: NodeStatus(role: .connecting, node: name))
            store = PostgresStoreService(
                configuration: PostgresStoreConfiguration(
                    location: location, directory: directory, nodeName: name, advertiseURL: advertised,
                    waitForDatabase: journalWait, heartbeatTimeout: .seconds(heartbeatTimeout),
                    snapshotInterval: .seconds(snapshotInterval), snapshotEvery: snapshotEvery,
                    keepSnapshots: keepSnapshots, shardCount: shardCount, metrics: StoreMetrics(factory: metrics.factory)),
                logger: logger,
                onServe: { tracker, store in
                    // A state rebuilt from the journal replaces the old one: live streams on the
                    // old one end, and their clients resume here with Last-Event-ID (journal
                    // sequences are the same on every node and every rebuild).
                    let previous = state.backend
                    state.markReady(Backend(tracker: tracker, snapshots: store, account: account, cluster: store))
                    previous?.tracker.feed.close()
                },
                onOwn: { tracker in
                    if adminKey == nil {
                        try await bootstrapAdminKey(tracker: tracker, directory: directory, account: account, logger: serverLogger)
                    }
                    serverLogger.info("ready to serve")
                },
                onStatus: { status in state.update(node: status) })
        }
        let configuration = ServerConfiguration(
            host: host, port: port, basePath: basePath, maximumBodySize: maxBodySize, bootstrapAdminKey: adminKey,
            idleTimeout: .seconds(idleTimeout), requestTimeout: .seconds(requestTimeout), maximumConnections: maxConnections,
            metricsRequireKey: metricsRequireKey, corsOrigin: corsOrigin, dashboard: dashboard,
            sessionLifetime: .seconds(sessionTtl), cookieSecure: cookieSecure, nodeName: nodeName,
            maximumImportSize: maxImportSize, webhookAllowPrivate: webhookAllowPrivate)
        let publicBase = publicUrl ?? advertiseUrl
            ?? "http://\(["0.0.0.0", "::", ""].contains(host) ? ProcessInfo.processInfo.hostName : host):\(port)"
        let webhooks = WebhookSender(state: state, allowPrivate: webhookAllowPrivate,
                                     dashboardBase: String(publicBase.reversed().drop { $0 == "/" }.reversed()) + basePath,
                                     metrics: metrics, logger: logger)
        let app = buildApplication(configuration: configuration, state: state, services: [store, webhooks], metrics: metrics,
                                   logger: logger)
        do {
            try await app.runService()
        } catch let error as PostgresUnreachable {
            printError("versioner: cannot start: \(error)")
            throw ExitCode(2)
        } catch let error as PostgresSchemaError {
            printError("versioner: cannot start: \(error)")
            throw ExitCode(2)
        } catch let damage as JournalDamage where damage.kind == .missingStart {
            printError("versioner: cannot start: \(damage)\nNothing was changed. " + missingStartAdvice(directory))
            throw ExitCode(2)
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

/// Where `serve` keeps its journal.
enum JournalChoice {
    case file
    case postgres(PostgresLocation)

    init(_ value: String?) throws {
        guard let value, !value.isEmpty, value != "file" else {
            self = .file
            return
        }
        do {
            self = .postgres(try PostgresLocation(url: value))
        } catch {
            throw ValidationError("--journal: \(error)")
        }
    }
}

/// On a first start without keys (and without `VERSIONER_ADMIN_KEY`), makes an admin key and
/// writes it to `<data-dir>/admin.key`, readable by the owner only. The log names the file,
/// never the key.
func bootstrapAdminKey(tracker: Tracker, directory: DataDirectory, account: String, logger: Logger) async throws {
    guard !tracker.hasKeys else { return }
    let issued = try await tracker.issueKey(name: "admin", description: "Created at the first start", scopes: [.admin],
                                            account: account)
    let path = directory.root + "/admin.key"
    try writePrivateFile(path, contents: issued.token + "\n")
    logger.notice("created an admin key; it is in the file named here, readable by this user only",
                  metadata: ["key.file": "\(path)", "key.prefix": "\(issued.key.prefix)"])
}

/// Writes a file only its owner can read (mode 0600, set before anything is written).
func writePrivateFile(_ path: String, contents: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    defer { close(fd) }
    fchmod(fd, 0o600)
    let bytes = Array(contents.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
}
