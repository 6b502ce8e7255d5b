import Foundation
import Testing
import VersionerCore
@testable import VersionerStore
import VersionerTestSupport

@Suite("Secrets at rest")
struct SecretsTests {
    @Test("The secret of a key is nowhere in the data directory; its hash still verifies after a restart")
    func secretsStayOutOfFiles() async throws {
        try await withTemporaryDirectory { directory in
            let (state, report) = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
            let journal = try FileJournal.continuing(directory.data, after: report.lastSequence, logger: quietLogger, onFatal: { _ in })
            let tracker = Tracker(shardCount: 2, journal: journal, state: state)
            let issued = try await tracker.issueKey(name: "ci", description: nil, scopes: [.eventsWrite], account: "acme")
            tracker.noteUse(of: issued.key.id)
            _ = try SnapshotStore.write(await tracker.capture(), to: directory.data.snapshots)
            await journal.close()
            let secret = try #require(APIKeys.parse(issued.token)).secret
            let files = try FileManager.default.subpathsOfDirectory(atPath: directory.path)
            var checked = 0
            for file in files {
                let path = directory.path + "/" + file
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                var bytes = try PosixFile.readAll(path)
                if file.hasSuffix(".snap") {
                    bytes = try Zlib.decompress(bytes[40...], expectedSize: Int(SnapshotFormat.header(bytes, path: path).uncompressedLength))
                }
                #expect(!String(decoding: bytes, as: UTF8.self).contains(secret), "\(file)")
                checked += 1
            }
            #expect(checked >= 2)
            let (recovered, _) = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
            let key = try #require(recovered.catalog.key(publicID: issued.key.keyID))
            #expect(key.matches(secret: secret))
            #expect(!key.matches(secret: secret + "x"))
            #expect(key.lastUsedAt != nil)
        }
    }
}
