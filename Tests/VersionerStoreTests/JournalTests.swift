import Foundation
import Synchronization
import Testing
import VersionerCore
@testable import VersionerStore
import VersionerTestSupport

@Suite("Journal")
struct JournalTests {
    /// Writes `count` changes through a tracker on a file journal, closes it, and returns them in order.
    func writeJournal(in directory: TemporaryDirectory, count: Int, segmentSize: Int = 64 * 1024 * 1024) async throws -> [StateChange] {
        let memory = InMemoryJournal()
        let fileJournal = try FileJournal(directory: directory.data.journal, nextSequence: 1,
                                          options: .init(policy: .always, segmentSize: segmentSize), logger: quietLogger,
                                          onFatal: { _ in })
        let tracker = Tracker(shardCount: 3, journal: TeeJournal(file: fileJournal, memory: memory))
        try await sendEvents(to: tracker, count: count)
        await fileJournal.close()
        return memory.changes
    }

    func readAll(_ directory: TemporaryDirectory) throws -> (changes: [StateChange], scan: JournalScan) {
        var changes: [StateChange] = []
        let scan = try JournalReader.scan(directory: directory.data.journal) { _, _, change in changes.append(change) }
        return (changes, scan)
    }

    @Test("Every change written is read back, in order, across segments")
    func roundTrip() async throws {
        try await withTemporaryDirectory { directory in
            let written = try await writeJournal(in: directory, count: 300, segmentSize: 8 * 1024)
            let (read, scan) = try readAll(directory)
            #expect(read == written)
            #expect(scan.lastSequence == UInt64(written.count))
            #expect(scan.segments.count > 3)
            #expect(scan.tornTail == nil)
        }
    }

    @Test("A change prepared ahead, by the journal or by one that encodes nothing, is read back in append order")
    func preparedAppends() async throws {
        try await withTemporaryDirectory { directory in
            let journal = try FileJournal(directory: directory.data.journal, nextSequence: 1, logger: quietLogger, onFatal: { _ in })
            let changes: [StateChange] = (1...3).map { .ruleDeleted(EntityID(high: 7, low: UInt64($0))) }
            let first = journal.prepare(changes[0])
            let second = journal.prepare(changes[1])
            #expect(try journal.append(prepared: second) == 1)
            #expect(try journal.append(prepared: PreparedChange(changes[2])) == 2)
            #expect(try journal.append(prepared: first) == 3)
            await journal.close()
            #expect(try readAll(directory).changes == [changes[1], changes[2], changes[0]])
        }
    }

    @Test("Each change kind survives encoding")
    func codec() throws {
        let product = Product(id: EntityID(high: 1, low: 2), name: "név ✓", description: "d", extraMetadata: RawJSONObject(members: [JSONMember("a", .array([.null, .bool(true)]))]),
                              createdAt: Timestamp(microseconds: -5), updatedAt: Timestamp(microseconds: 9))
        let environment = Environment(id: EntityID(high: 3, low: 4), name: "qa", type: .staging, description: nil,
                                      metadata: .empty, createdAt: Timestamp(microseconds: 1))
        let deployment = AcceptedDeploymentEvent(
            eventID: EntityID(high: 5, low: 6), recordedAt: Timestamp(microseconds: 7), productID: product.id,
            versionID: EntityID(high: 8, low: 9), environmentID: environment.id, deploymentID: EntityID(high: 10, low: 11),
            input: DeploymentEventInput(productName: "p", version: "1", environmentName: "qa", status: .aborted,
                                        startedAt: Timestamp(microseconds: 12), completedAt: Timestamp(microseconds: Int64.max),
                                        extraMetadata: RawJSONObject(members: [JSONMember("k", .string("v"))]),
                                        [.deployedBy: "a", .deployedByEmail: "b", .deployedByName: "c", .scmSha: "d",
                                         .scmRepository: "e", .scmBranch: "f", .deployURL: "g", .buildNumber: "h",
                                         .sourceSystem: "i", .invokeID: "j"]))
        let build = AcceptedBuildEvent(
            eventID: EntityID(high: .max, low: .max), recordedAt: Timestamp(microseconds: Int64.min), productID: product.id,
            versionID: EntityID(high: 0, low: 0), buildID: EntityID(high: 1, low: 1),
            input: BuildEventInput(productName: "p", version: "2", status: .pending, [.errorMessage: "boom\n", .errorCode: "E1"]))
        var tagged = deployment
        tagged.request = RequestTag(key: .explicit(client: "admin", key: "k-1"), digest: Array(0..<32))
        var taggedBuild = build
        taggedBuild.request = RequestTag(key: .implicit(client: "c", digest: [1, 2]), digest: [1, 2])
        // Events with the deliveries they owe: each names its own event and product.
        func deliveries(_ eventID: EntityID, _ productID: EntityID) -> [PendingDelivery] {
            [PendingDelivery(id: EntityID(high: 30, low: eventID.low), webhookID: EntityID(high: 12, low: 13), productID: productID, eventID: eventID),
             PendingDelivery(id: EntityID(high: 31, low: eventID.low), webhookID: EntityID(high: 12, low: 14), productID: productID, eventID: eventID)]
        }
        var owingDeployment = deployment
        owingDeployment.deliveries = deliveries(deployment.eventID, deployment.productID)
        var owingTagged = tagged
        owingTagged.deliveries = Array(deliveries(tagged.eventID, tagged.productID).prefix(1))
        var owingBuild = taggedBuild
        owingBuild.deliveries = deliveries(taggedBuild.eventID, taggedBuild.productID)
        let answered = AnsweredRequest(key: .explicit(client: "c", key: "k"), entry: RequestEntry(
            digest: [9, 9], acceptedAt: Timestamp(microseconds: 3), subject: .build(build.buildID),
            answer: StoredAnswer(status: 201, body: Array(#"{"a": 1}"#.utf8))))
        let changes: [StateChange] = [
            .deploymentEvent(deployment), .buildEvent(build), .productSaved(product), .productDeleted(product.id),
            .environmentSaved(environment), .environmentDeleted(environment.id),
            .deploymentEvent(tagged), .buildEvent(taggedBuild), .requestAnswered(answered),
            .requestAnswered(AnsweredRequest(key: .explicit(client: "c", key: "k2"), entry: RequestEntry(digest: [], acceptedAt: Timestamp(microseconds: 0)))),
            .webhookSaved(Webhook(id: EntityID(high: 12, low: 13), name: "chat ✓", url: "https://hooks.example.com/x",
                                  events: ["deployment.*", "build.failed"], products: ["p"], environments: ["qa", "prod"],
                                  secret: "s", format: .slack, createdAt: Timestamp(microseconds: 1), updatedAt: Timestamp(microseconds: 2))),
            .webhookSaved(Webhook(id: EntityID(high: 12, low: 14), name: "w", url: "http://x", events: ["*"],
                                  createdAt: Timestamp(microseconds: 1), updatedAt: Timestamp(microseconds: 1))),
            .webhookDeleted(EntityID(high: 12, low: 13)),
            .deliveriesQueued([PendingDelivery(id: EntityID(high: 20, low: 1), webhookID: EntityID(high: 12, low: 13),
                                               productID: product.id, eventID: deployment.eventID),
                               PendingDelivery(id: EntityID(high: 20, low: 2), webhookID: EntityID(high: 12, low: 14),
                                               productID: product.id, eventID: deployment.eventID)]),
            .deliveriesQueued([PendingDelivery(id: EntityID(high: 21, low: 1), webhookID: EntityID(high: 12, low: 14),
                                               productID: product.id, eventID: deployment.eventID),
                               PendingDelivery(id: EntityID(high: 21, low: 2), webhookID: EntityID(high: 12, low: 14),
                                               productID: product.id, eventID: build.eventID),
                               PendingDelivery(id: EntityID(high: 21, low: 3), webhookID: EntityID(high: 12, low: 13),
                                               productID: EntityID(high: 7, low: 7), eventID: build.eventID)]),
            .deliveriesQueued([]),
            .deploymentEvent(owingDeployment), .deploymentEvent(owingTagged), .buildEvent(owingBuild),
            .deliveryFinished(DeliveryOutcome(deliveryID: EntityID(high: 20, low: 1), webhookID: EntityID(high: 12, low: 13),
                                              eventID: deployment.eventID, eventType: "deployment.aborted", attempts: [
                                                  DeliveryAttempt(at: Timestamp(microseconds: 5), statusCode: 503, error: nil, durationMicroseconds: 1_500),
                                                  DeliveryAttempt(at: Timestamp(microseconds: 6), statusCode: nil, error: "timed out", durationMicroseconds: 10_000_000),
                                              ])),
            .deliveryFinished(DeliveryOutcome(deliveryID: EntityID(high: 20, low: 3), webhookID: EntityID(high: 12, low: 14),
                                              eventID: nil, eventType: "ping", attempts: [])),
        ]
        for (index, change) in changes.enumerated() {
            let time = Timestamp(microseconds: Int64(index) * 1_000_003)
            let record = JournalFormat.record(sequence: UInt64(index + 1), time: time, change: change)
            let (decodedTime, decoded) = try JournalFormat.decodePayload(record, from: JournalFormat.frameSize,
                                                                         count: record.count - JournalFormat.frameSize)
            #expect(decoded == change)
            #expect(decodedTime == time)
        }
    }

    @Test("Strings survive the codec, ASCII or not; bytes that are not UTF-8 are refused")
    func strings() throws {
        var writer = BinaryWriter()
        let texts = ["", "production", "Zürich – 東京 🚀", String(repeating: "a", count: 300)]
        for text in texts { writer.string(text) }
        writer.count(2)
        writer.bytes([0xC3, 0x28])  // a lead byte followed by a byte that cannot continue it
        var reader = BinaryReader(writer.bytes)
        for text in texts { #expect(try reader.string() == text) }
        #expect(throws: DecodingError.self) { try reader.string() }
    }

    @Test("A torn last record is found at every byte it can be cut at, and recovery cuts it off")
    func tornTailAtEveryOffset() async throws {
        try await withTemporaryDirectory { directory in
            let written = try await writeJournal(in: directory, count: 4)
            let segment = try #require(try JournalReader.segmentFiles(in: directory.data.journal).first?.path)
            let original = try PosixFile.readAll(segment)
            let lastRecordLength = JournalFormat.frameSize + Int(original.readBigEndian(UInt32.self, at: lastRecordOffset(original)))
            #expect(lastRecordOffset(original) + lastRecordLength == original.count)
            for cut in 1..<lastRecordLength {
                try Data(original.dropLast(cut)).write(to: URL(filePath: segment))
                let (read, scan) = try readAll(directory)
                #expect(read == Array(written.dropLast()), "cut \(cut)")
                let torn = try #require(scan.tornTail, "cut \(cut)")
                #expect(torn.kind == .tornTail)
                #expect(torn.offset == lastRecordOffset(original))
            }
            let (_, report) = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
            #expect(report.tornTail != nil)
            #expect(report.lastSequence == UInt64(written.count - 1))
            #expect(PosixFile.size(segment) == lastRecordOffset(original))
            #expect(try readAll(directory).scan.tornTail == nil)
        }
    }

    /// Byte offset of the last record of a segment.
    func lastRecordOffset(_ bytes: [UInt8]) -> Int {
        var offset = JournalFormat.headerSize
        var last = offset
        while offset < bytes.count {
            last = offset
            offset += JournalFormat.frameSize + Int(bytes.readBigEndian(UInt32.self, at: offset))
        }
        return last
    }

    /// A damage done to a journal, and what reading it must say.
    struct Corruption: CustomTestStringConvertible, Sendable {
        let name: String
        /// Changes the segment files of a journal (oldest first; at least two).
        let damage: @Sendable (_ segments: [String]) throws -> Void
        /// The damage must stop the start (true), or be a torn tail that recovery cuts (false).
        let isCorruption: Bool
        /// Whether `journal repair` can cut the journal so that the server starts (records that
        /// are gone cannot be cut around).
        var isRepairable = true
        var testDescription: String { name }
    }

    static let corruptions: [Corruption] = [
        Corruption(name: "a flipped bit in the middle of the first segment", damage: { segments in
            var bytes = try PosixFile.readAll(segments[0])
            bytes[bytes.count / 2] ^= 0x10
            try Data(bytes).write(to: URL(filePath: segments[0]))
        }, isCorruption: true),
        Corruption(name: "a flipped bit in a length field mid-file", damage: { segments in
            var bytes = try PosixFile.readAll(segments[segments.count - 1])
            bytes[JournalFormat.headerSize + 1] ^= 0x01
            try Data(bytes).write(to: URL(filePath: segments[segments.count - 1]))
        }, isCorruption: true),
        Corruption(name: "a zero-filled sector in the middle of the last segment", damage: { segments in
            var bytes = try PosixFile.readAll(segments[segments.count - 1])
            for i in (JournalFormat.headerSize + 10)..<(JournalFormat.headerSize + 522) where i < bytes.count - 200 { bytes[i] = 0 }
            try Data(bytes).write(to: URL(filePath: segments[segments.count - 1]))
        }, isCorruption: true),
        Corruption(name: "a zero-filled tail of the last segment", damage: { segments in
            let bytes = try PosixFile.readAll(segments[segments.count - 1])
            try Data(bytes + [UInt8](repeating: 0, count: 4096)).write(to: URL(filePath: segments[segments.count - 1]))
        }, isCorruption: false),
        Corruption(name: "an empty first segment", damage: { segments in
            try Data().write(to: URL(filePath: segments[0]))
        }, isCorruption: true),
        Corruption(name: "a missing first segment (records before the second are gone)", damage: { segments in
            try FileManager.default.removeItem(atPath: segments[0])
        }, isCorruption: true, isRepairable: false),
        Corruption(name: "an empty last segment (a crash right after a rotation)", damage: { segments in
            try Data().write(to: URL(filePath: segments[segments.count - 1]))
        }, isCorruption: false),
        Corruption(name: "a sequence gap inside a segment", damage: { segments in
            // Append a well-formed record whose sequence number skips ahead.
            var bytes = try PosixFile.readAll(segments[segments.count - 1])
            bytes += JournalFormat.record(sequence: 9_999, time: Timestamp(microseconds: 0), change: .productDeleted(EntityID(high: 1, low: 1)))
            bytes += JournalFormat.record(sequence: 10_000, time: Timestamp(microseconds: 0), change: .productDeleted(EntityID(high: 1, low: 1)))
            try Data(bytes).write(to: URL(filePath: segments[segments.count - 1]))
        }, isCorruption: true),
        Corruption(name: "a segment whose name does not match its header", damage: { segments in
            let last = segments[segments.count - 1]
            let renamed = String(last.dropLast(".wal".count + 3)) + "999.wal"
            try FileManager.default.moveItem(atPath: last, toPath: renamed)
        }, isCorruption: true),
        Corruption(name: "garbage after a torn record, then a valid record", damage: { segments in
            var bytes = try PosixFile.readAll(segments[segments.count - 1])
            let next = UInt64(bytes.count)  // any sequence number not following on
            bytes += [1, 2, 3, 4, 5]
            bytes += JournalFormat.record(sequence: next, time: Timestamp(microseconds: 0), change: .productDeleted(EntityID(high: 1, low: 1)))
            try Data(bytes).write(to: URL(filePath: segments[segments.count - 1]))
        }, isCorruption: true),
    ]

    @Test("Damage anywhere but the very end stops the start with the file and offset; a damaged end is cut",
          arguments: corruptions)
    func corruption(_ corruption: Corruption) async throws {
        try await withTemporaryDirectory { directory in
            _ = try await writeJournal(in: directory, count: 40, segmentSize: 2048)
            let segments = try JournalReader.segmentFiles(in: directory.data.journal).map(\.path)
            try #require(segments.count >= 2)
            try corruption.damage(segments)
            if corruption.isCorruption {
                let error = try #require(throws: JournalDamage.self) {
                    try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
                }
                #expect(error.kind == (corruption.isRepairable ? .corruption : .missingStart))
                #expect(error.path.hasPrefix(directory.data.journal))
                guard corruption.isRepairable else {
                    #expect(error.description.contains("records 1…"))
                    return
                }
                #expect(error.description.contains("byte \(error.offset)"))
                // The operator's repair cuts there, and the server can start again.
                let repair = try #require(try JournalRepair.repair(directory.data))
                #expect(repair.damage.offset == error.offset)
                #expect(FileManager.default.fileExists(atPath: repair.cutBytesPath) || repair.cutBytes == 0)
                _ = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
            } else {
                let (_, report) = try Recovery.recover(directory.data, cutTornTail: true, logger: quietLogger)
                #expect(report.tornTail?.kind == .tornTail)
                #expect(try readAll(directory).scan.tornTail == nil)
            }
        }
    }

    @Test("Appends after a write failure are refused and waiters fail; the fatal handler is called")
    func writeFailureIsFatal() async throws {
        try await withTemporaryDirectory { directory in
            let fatal = FatalRecorder()
            let journal = try FileJournal(directory: directory.data.journal, nextSequence: 1, logger: quietLogger,
                                          onFatal: { fatal.record($0) })
            let first = try journal.append(.productDeleted(EntityID(high: 1, low: 1)))
            try await journal.waitDurable(first)
            // Take the segment's descriptor away underneath the writer: its next write fails.
            journal.breakForTesting()
            let second = try journal.append(.productDeleted(EntityID(high: 2, low: 2)))
            await #expect(throws: JournalError.self) { try await journal.waitDurable(second) }
            #expect(throws: JournalError.self) { try journal.append(.productDeleted(EntityID(high: 3, low: 3))) }
            #expect(fatal.recorded.count == 1)
        }
    }
}

/// Sends every change to both a file journal and an in-memory copy, so tests know what was written.
final class TeeJournal: Journal {
    let file: FileJournal
    let memory: InMemoryJournal
    private let order = Mutex(())

    init(file: FileJournal, memory: InMemoryJournal) {
        self.file = file
        self.memory = memory
    }

    func append(_ change: StateChange) throws(JournalError) -> UInt64 {
        let result: Result<UInt64, JournalError> = order.withLock { _ in
            do {
                let sequence = try file.append(change)
                _ = try memory.append(change)
                return .success(sequence)
            } catch {
                return .failure(error as! JournalError)
            }
        }
        return try result.get()
    }

    func waitDurable(_ sequence: UInt64) async throws(JournalError) {
        try await file.waitDurable(sequence)
    }

    var lastSequence: UInt64 { file.lastSequence }
}
