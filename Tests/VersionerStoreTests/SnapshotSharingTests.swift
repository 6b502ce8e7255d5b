import Testing
@testable import VersionerCore
@testable import VersionerStore

@Suite("Snapshot text sharing")
struct SnapshotSharingTests {
    @Test("Records whose text is their event's are read back sharing it; the others keep their own fields")
    func roundTrip() async throws {
        let tracker = Tracker(shardCount: 1, journal: InMemoryJournal())
        // One event: the deployment, and the version it creates, hold that event's text.
        _ = try await tracker.record(DeploymentEventInput(productName: "api", version: "1.0", environmentName: "dev",
                                                         status: .completed,
                                                         [.deployedBy: "ci", .scmSha: "aaa", .deployURL: "https://ci.example.com/1"]))
        // Two events, the second without deployed_by: the deployment's text is neither event's.
        _ = try await tracker.record(DeploymentEventInput(productName: "api", version: "2.0", environmentName: "dev",
                                                         status: .started, [.deployedBy: "jdoe", .scmSha: ""]))
        _ = try await tracker.record(DeploymentEventInput(productName: "api", version: "2.0", environmentName: "dev",
                                                         status: .completed))
        // The version 2.0 had an empty SHA: a build now sets it, so its text is not its creator's.
        _ = try await tracker.record(BuildEventInput(productName: "api", version: "2.0", [.scmSha: "bbb", .buildNumber: "7"]))

        let capture = await tracker.capture()
        let (payload, sequence) = SnapshotFormat.payload(CapturedSource(capture))
        let header = SnapshotHeader(version: SnapshotFormat.version, sequence: sequence,
                                    uncompressedLength: UInt64(payload.count), compressedLength: 0, payloadCRC: 0)
        let loaded = try SnapshotFormat.decodePayload(payload, header: header)
        let live = try #require(capture.shards.first?.products.values.first)
        let read = try #require(loaded.state.products[live.product.id])

        #expect(read.versions == live.versions)
        #expect(read.builds == live.builds)
        #expect(read.deployments == live.deployments)
        #expect(read.events == live.events)
        #expect(read.versions.map(\.scmSha) == ["aaa", "bbb"])
        #expect(read.deployments.map(\.deployedBy) == ["ci", "jdoe"])

        func eventText(_ id: EntityID) -> PackedStrings? {
            switch read.events.first(where: { $0.id == id }) {
            case .deployment(let e)?: return e.input.text
            case .build(let e)?: return e.input.text
            case nil: return nil
            }
        }
        let shared = try #require(eventText(read.deployments[0].lastEventID))
        #expect(read.deployments[0].details.text.isSameBuffer(as: shared))
        let notShared = try #require(eventText(read.deployments[1].lastEventID))
        #expect(!read.deployments[1].details.text.isSameBuffer(as: notShared))
        let buildText = try #require(eventText(read.builds[0].lastEventID))
        #expect(read.builds[0].details.text.isSameBuffer(as: buildText))
    }
}
