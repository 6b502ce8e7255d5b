import Foundation
import Logging
import Testing
import VersionerCore
import VersionerStore
import VersionerTestSupport

@Suite("Operator commands")
struct OperatorCommandTests {
    /// A data directory whose only snapshot is damaged and whose journal starts after it: the
    /// records before the journal's start exist nowhere but in a copy of the snapshot kept in
    /// `before-restore-…/` (as an earlier `restore` leaves them).
    static func directoryWithoutAStart() async throws -> (TemporaryDirectory, keptCopy: String) {
        let directory = TemporaryDirectory()
        let data = DataDirectory(directory.path)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let journal = try FileJournal(directory: data.journal, nextSequence: 1, options: .init(policy: .none, segmentSize: 1024),
                                      logger: logger, onFatal: { _ in })
        let tracker = Tracker(shardCount: 2, journal: journal)
        for n in 0..<40 { _ = try await tracker.record(BuildEventInput(productName: "p\(n % 3)", version: "1.\(n)")) }
        let snapshot = try SnapshotStore.write(await tracker.capture(), to: data.snapshots)
        for n in 40..<45 { _ = try await tracker.record(BuildEventInput(productName: "p\(n % 3)", version: "1.\(n)")) }
        await journal.close()
        #expect(try SnapshotStore.pruneJournal(data.journal, through: snapshot.sequence) > 0)
        let kept = directory.path + "/before-restore-2026-11-30T10-00-00Z/snapshots"
        try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
        let keptCopy = kept + "/" + URL(filePath: snapshot.path).lastPathComponent
        try FileManager.default.copyItem(atPath: snapshot.path, toPath: keptCopy)
        // Damage the snapshot's payload: it no longer verifies.
        var bytes = try Data(contentsOf: URL(filePath: snapshot.path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(filePath: snapshot.path))
        return (directory, keptCopy)
    }

    @Test("When the journal starts after every snapshot that verifies, serve names restore and the snapshots kept aside")
    func missingStartNamesTheWayOut() async throws {
        let (directory, keptCopy) = try await Self.directoryWithoutAStart()
        defer { directory.remove() }
        let serve = try await CommandRun.run(["serve", "--port", "0", "--data-dir", directory.path])
        #expect(serve.status == 2)
        #expect(serve.errors.contains("versioner restore --from FILE --data-dir \(directory.path)"), "\(serve.errors)")
        #expect(serve.errors.contains(keptCopy))
        #expect(!serve.errors.contains("journal repair --data-dir"))

        // journal repair gives the same advice, and changes nothing.
        let journalBefore = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/journal").sorted()
        let repair = try await CommandRun.run(["journal", "repair", "--data-dir", directory.path])
        #expect(repair.status != 0)
        #expect(repair.output.contains("versioner restore --from FILE"))
        #expect(repair.output.contains(keptCopy))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/journal").sorted() == journalBefore)

        // The command named is the way out: after it, every one of the 45 builds is there.
        let restore = try await CommandRun.run(["restore", "--from", keptCopy, "--data-dir", directory.path])
        #expect(restore.status == 0, "\(restore.output) \(restore.errors)")
        let verify = try await CommandRun.run(["snapshot", "verify", "--data-dir", directory.path])
        #expect(verify.status == 0)
        #expect(verify.output.contains("45 builds"), "\(verify.output)")
    }
}
