import ArgumentParser
import Foundation
import Logging
import VersionerCore
import VersionerStore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A logger for the operator commands: warnings and worse, on standard error.
func commandLogger() -> Logger {
    var logger = Logger(label: "versioner") { label in StreamLogHandler.standardError(label: label) }
    logger.logLevel = .warning
    return logger
}

/// The whole recovered state as one capture (every part at the same sequence).
func capture(of state: TrackerState, sequence: UInt64) -> StateCapture {
    StateCapture(catalog: state.catalog, catalogSequence: sequence, shards: [(sequence, state.products)])
}

struct Counts {
    var products = 0, environments = 0, versions = 0, builds = 0, deployments = 0, events = 0

    init(_ state: TrackerState) {
        environments = state.catalog.environments.count
        products = state.products.count
        for product in state.products.values {
            versions += product.versions.count
            builds += product.builds.count
            deployments += product.deployments.count
            events += product.events.count
        }
    }

    var summary: String {
        "\(products) products, \(environments) environments, \(versions) versions, \(builds) builds, "
            + "\(deployments) deployments, \(events) events"
    }
}

// MARK: snapshot

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Create, list, verify and inspect snapshots.",
        subcommands: [Create.self, List.self, Verify.self, Inspect.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a snapshot now.",
            discussion: """
                With --server, asks that running server to write one (POST /admin/snapshots/). Without it, \
                works on a stopped server's data directory: recovers the state and writes it as a snapshot.
                """)

        @OptionGroup var data: DataDirectoryOption

        @Option(help: "The URL of a running server, such as http://127.0.0.1:8080 (with its base path, if any).")
        var server: String?

        @Option(help: "How many snapshot files to keep.")
        var keep = 3

        func run() async throws {
            if let server {
                try await createOnServer(server)
                return
            }
            let directory = DataDirectory(data.dataDir)
            let lock = try directory.lock()
            defer { withExtendedLifetime(lock) {} }
            let (state, report) = try Recovery.recover(directory, cutTornTail: true, logger: commandLogger())
            let info = try SnapshotStore.write(capture(of: state, sequence: report.lastSequence), to: directory.snapshots)
            if let oldest = try SnapshotStore.prune(directory.snapshots, keep: keep) {
                _ = try SnapshotStore.pruneJournal(directory.journal, through: oldest)
            }
            print("wrote \(info.path)")
            print("  sequence \(info.sequence), \(humanBytes(info.fileBytes)) (\(humanBytes(Int(info.header.uncompressedLength))) uncompressed)")
            print("  \(Counts(state).summary)")
        }

        private func createOnServer(_ server: String) async throws {
            var base = server
            while base.hasSuffix("/") { base.removeLast() }
            guard let url = URL(string: base + "/admin/snapshots/") else { throw ValidationError("--server is not a URL") }
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            if let key = ProcessInfo.processInfo.environment["VERSIONER_API_KEY"] {
                request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            }
            request.httpBody = Data("{}".utf8)
            let (body, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            let text = String(decoding: body, as: UTF8.self)
            guard status == 201 else {
                printError("versioner: the server answered \(status): \(text)")
                throw ExitCode.failure
            }
            let answer = try JSONValue(parsing: text)
            print("the server wrote \(answer["path"]?.stringValue ?? "?")")
            print("  sequence \(answer["sequence"]?.intValue ?? 0), \(humanBytes(answer["bytes"]?.intValue ?? 0))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the snapshots of a data directory, newest first.")

        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let directory = DataDirectory(data.dataDir)
            let (snapshots, unreadable) = try SnapshotStore.list(directory.snapshots)
            if snapshots.isEmpty, unreadable.isEmpty { print("no snapshots in \(directory.snapshots)") }
            for info in snapshots {
                let ratio = Double(info.header.uncompressedLength) / Double(max(1, info.fileBytes))
                print("\(info.path)  sequence \(info.sequence)  \(humanBytes(info.fileBytes))  "
                      + "(\(humanBytes(Int(info.header.uncompressedLength))) uncompressed, \(String(format: "%.1f", ratio))×)")
            }
            for problem in unreadable { print("UNREADABLE \(problem)") }
            if !unreadable.isEmpty { throw ExitCode.failure }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check snapshots completely: header, checksums, decompression and every record.")

        @OptionGroup var data: DataDirectoryOption

        @Argument(help: "Snapshot files to check (default: all in the data directory).")
        var files: [String] = []

        func run() throws {
            var paths = files
            if paths.isEmpty {
                let (snapshots, unreadable) = try SnapshotStore.list(DataDirectory(data.dataDir).snapshots)
                paths = snapshots.map(\.path) + unreadable.map(\.path)
            }
            guard !paths.isEmpty else {
                print("no snapshots to verify")
                return
            }
            var failed = 0
            for path in paths {
                do {
                    let loaded = try SnapshotStore.load(path)
                    print("OK      \(path)  sequence \(loaded.header.sequence)  \(Counts(loaded.state).summary)")
                } catch {
                    failed += 1
                    print("BROKEN  \(path)  \(error)")
                }
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe one snapshot file in detail.")

        @Argument(help: "The snapshot file.")
        var file: String

        func run() throws {
            let loaded = try SnapshotStore.load(file)
            let header = loaded.header
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            print(file)
            print("  format version      \(header.version)")
            print("  sequence            \(header.sequence) (every change up to here is in it)")
            print("  size                \(humanBytes(size)) compressed, \(humanBytes(Int(header.uncompressedLength))) uncompressed")
            print("  payload CRC-32      \(String(header.payloadCRC, radix: 16))")
            let sequences = loaded.productSequences.values
            print("  catalog sequence    \(loaded.catalogSequence)")
            if let low = sequences.min(), let high = sequences.max() {
                print("  product sequences   \(low)…\(high)")
            }
            print("  contents            \(Counts(loaded.state).summary)")
            let events = loaded.state.products.values.flatMap(\.events).map(\.recordedAt)
            if let first = events.min(), let last = events.max() {
                print("  events recorded     \(first.rfc3339) … \(last.rfc3339)")
            }
        }
    }
}

// MARK: restore

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a stopped server's data directory from a snapshot file.",
        discussion: """
            Loads the snapshot, replays the data directory's journal after it (only up to --to-time when \
            given: a point-in-time restore), and makes the result the data directory's state. The journal \
            and snapshots it replaces are moved to <data-dir>/before-restore-<time>/, not deleted.
            """)

    @OptionGroup var data: DataDirectoryOption

    @Option(help: "The snapshot file to start from.")
    var from: String

    @Option(help: "Replay only changes journaled at or before this RFC 3339 time, such as 2026-11-25T18:00:00Z.")
    var toTime: String?

    func run() throws {
        var stopAt: Timestamp?
        if let toTime {
            guard let time = Timestamp(rfc3339: toTime) else {
                throw ValidationError("--to-time must be an RFC 3339 time with a zone, such as 2026-11-25T18:00:00Z")
            }
            stopAt = time
        }
        let directory = DataDirectory(data.dataDir)
        let lock = try directory.lock()
        defer { withExtendedLifetime(lock) {} }
        let source = URL(filePath: from).standardizedFileURL.path()
        let (state, report) = try Recovery.recover(directory, snapshotPath: source, stopAt: stopAt, cutTornTail: false,
                                                   logger: commandLogger())
        // Keep what is replaced: a restore must never be the thing that loses data.
        let aside = directory.root + "/before-restore-" + Timestamp.now().rfc3339.replacingOccurrences(of: ":", with: "-")
        try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
        let keptSource = source.hasPrefix(directory.snapshots + "/") ? aside + "/snapshots/" + (source as NSString).lastPathComponent : nil
        for folder in ["journal", "snapshots"] where FileManager.default.fileExists(atPath: directory.root + "/" + folder) {
            try FileManager.default.moveItem(atPath: directory.root + "/" + folder, toPath: aside + "/" + folder)
        }
        try directory.create()
        let info = try SnapshotStore.write(capture(of: state, sequence: report.lastSequence), to: directory.snapshots)
        print("restored \(directory.root) from \(keptSource ?? source)")
        print("  snapshot sequence \(report.snapshot?.sequence ?? 0), then \(report.replayed) journal records")
        if let stopped = report.stoppedBefore {
            print("  stopped before record \(stopped.sequence), journaled at \(stopped.time.rfc3339)")
        }
        if let torn = report.tornTail { print("  left out a torn record at the end: \(torn)") }
        print("  state: \(Counts(state).summary)")
        print("  written as \(info.path) (sequence \(info.sequence))")
        print("  the journal and snapshots it replaced are in \(aside)")
    }
}

// MARK: journal

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Check or repair the write-ahead journal.",
        subcommands: [Verify.self, Repair.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read every journal record, checking frames, checksums and sequence numbers.")

        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let directory = DataDirectory(data.dataDir)
            // Segments older than the kept snapshots are deleted: the journal may start later
            // than record 1, as long as a snapshot holds everything before its start.
            let first = try JournalReader.segmentFiles(in: directory.journal).first?.firstSequence ?? 1
            let newestSnapshot = try SnapshotStore.list(directory.snapshots).snapshots.first?.sequence ?? 0
            if let problem = try missingStart(directory) {
                print("CORRUPT \(problem)")
                print(missingStartAdvice(directory))
                throw ExitCode.failure
            }
            let scan: JournalScan
            do {
                scan = try JournalReader.scan(directory: directory.journal, after: first - 1)
            } catch let damage as JournalDamage {
                print("CORRUPT \(damage)")
                print("run `versioner journal repair --data-dir \(directory.root)` to cut the journal there")
                throw ExitCode.failure
            }
            if first > 1 { print("records before \(first) are in the snapshots (newest: sequence \(newestSnapshot))") }
            describe(scan)
            if let torn = scan.tornTail {
                print("WARNING \(torn); the server cuts it off at its next start (it was never acknowledged)")
            } else {
                print("OK")
            }
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut the journal at its first damaged record.",
            discussion: """
                Everything from the damaged record on is moved aside (the rest of that segment into \
                <segment>.cut-<offset>, later segments renamed *.cut), so the server can start with the \
                records before it. Run `journal verify` first to see what would be cut.
                """)

        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let directory = DataDirectory(data.dataDir)
            let lock = try directory.lock()
            defer { withExtendedLifetime(lock) {} }
            if let problem = try missingStart(directory) {
                print("cannot repair: \(problem)")
                print(missingStartAdvice(directory))
                throw ExitCode.failure
            }
            guard let repair = try JournalRepair.repair(directory) else {
                describe(try JournalReader.scan(directory: directory.journal))
                print("the journal is intact: nothing to repair")
                return
            }
            print("cut \(repair.damage.path) at byte \(repair.damage.offset) (\(repair.damage.reason))")
            print("  \(humanBytes(repair.cutBytes)) moved to \(repair.cutBytesPath)")
            for path in repair.setAside { print("  later segment set aside: \(path)") }
            let scan = try JournalReader.scan(directory: directory.journal)
            describe(scan)
        }
    }
}

/// Segments older than the kept snapshots are deleted, so the journal may start after record 1,
/// as long as a snapshot holds everything before its start. Says what is missing otherwise.
private func missingStart(_ directory: DataDirectory) throws -> String? {
    let first = try JournalReader.segmentFiles(in: directory.journal).first?.firstSequence ?? 1
    let newestSnapshot = try SnapshotStore.list(directory.snapshots).snapshots.first?.sequence ?? 0
    guard first > 1, newestSnapshot < first - 1 else { return nil }
    return "the journal starts at record \(first) and no snapshot holds records \(newestSnapshot + 1)…\(first - 1)"
}

private func describe(_ scan: JournalScan) {
    var records = 0
    var bytes = 0
    for segment in scan.segments {
        let range = segment.lastSequence.map { "\(segment.firstSequence)…\($0)" } ?? "empty"
        print("\(segment.path)  records \(range)  (\(segment.records) records, \(humanBytes(segment.bytes)))")
        records += segment.records
        bytes += segment.bytes
    }
    print("\(scan.segments.count) segments, \(records) records, \(humanBytes(bytes)); last sequence \(scan.lastSequence ?? 0)")
}
