import Testing
@testable import VersionerCore

@Suite("Compact state")
struct CompactStateTests {
    @Test("Packed strings read back every field: nil, empty, long, non-ASCII")
    func packedRoundTrip() {
        let long = String(repeating: "x", count: 300)  // a two-byte length
        let fields: [String?] = [nil, "", "ci-bot", long, "déploiement 🚀", nil]
        let packed = PackedStrings(fields)
        #expect(packed.fieldCount == fields.count)
        for (index, field) in fields.enumerated() {
            #expect(packed[index] == field)
            #expect(packed.contains(index) == (field != nil))
        }
        #expect(packed[fields.count] == nil)
    }

    @Test("Setting one packed field leaves the others as they were")
    func packedSet() {
        var packed = PackedStrings(["a", nil, "c"])
        packed[1] = String(repeating: "b", count: 200)
        packed[0] = nil
        #expect(packed[0] == nil)
        #expect(packed[1] == String(repeating: "b", count: 200))
        #expect(packed[2] == "c")
        #expect(packed == PackedStrings([nil, String(repeating: "b", count: 200), "c"]))
    }

    @Test("Filling takes each missing field of a range from the other record, and compares ranges")
    func packedFilling() {
        let event = PackedStrings(["event-name", nil, "new", nil])
        let record = PackedStrings(["record-name", "old-1", "old-2", nil])
        let laid = event.filling(from: record, fields: 1..<4)
        #expect(laid == PackedStrings(["event-name", "old-1", "new", nil]))
        #expect(laid.equals(PackedStrings(["other", "old-1", "new", nil]), fields: 1..<4))
        #expect(!laid.equals(PackedStrings(["event-name", "old-1", "newer", nil]), fields: 1..<4))
        // A text written before a field existed reads it as absent.
        #expect(PackedStrings(["x", "old-1"]).equals(PackedStrings(["y", "old-1", nil, nil]), fields: 1..<4))
        #expect(!PackedStrings(["x", "old-1"]).equals(PackedStrings(["y", "old-1", nil, "set"]), fields: 1..<4))
    }

    @Test("Packed text read back is refused when it is not a whole, canonical sequence of fields")
    func packedValidation() {
        let text = PackedStrings(["a", nil, String(repeating: "é", count: 100)])
        #expect(PackedStrings(validating: text.encoded) == text)
        #expect(PackedStrings(validating: Array(text.encoded.dropLast())) == nil)  // a length past the end
        #expect(PackedStrings(validating: [0x80]) == nil)  // a varint past the end
        #expect(PackedStrings(validating: [0x81, 0x00]) == nil)  // a longer varint than needed
        #expect(PackedStrings(validating: [0x02, 0xFF]) == nil)  // not UTF-8
        #expect(PackedStrings(validating: [])?.fieldCount == 0)
    }

    @Test("Each kind declares its subjects first, so that a field is appended without moving the others")
    func declarations() {
        func check<Field: EventField>(_: Field.Type) {
            let subjects = Field.allCases.prefix(while: { $0.spec.role == .subject })
            #expect(Field.allCases.filter { $0.spec.role == .subject }.count == subjects.count)
            #expect(subjects.contains(.productName) && subjects.contains(.version))
            #expect(Field.extraMetadata.spec.kind == .object)
            #expect(Set(Field.allCases.map(\.spec.name)).count == Field.allCases.count)
        }
        check(DeploymentField.self)
        check(BuildField.self)
    }

    @Test("Event text read back takes fewer fields as absent and refuses more, or a missing subject")
    func eventTextFromStorage() throws {
        let short = try #require(DeploymentEventInput(status: .started, startedAt: nil, completedAt: nil,
                                                      text: PackedStrings(["api", "1.0", "prod", "jdoe"])))
        #expect(short.environmentName == "prod" && short[.deployedBy] == "jdoe")
        #expect(short[.invokeID] == nil && short.extraMetadata == nil)
        #expect(DeploymentEventInput(status: .started, startedAt: nil, completedAt: nil,
                                     text: PackedStrings(["api", "1.0"])) == nil)
        let tooMany = [String?](repeating: "x", count: DeploymentField.allCases.count + 1)
        #expect(DeploymentEventInput(status: .started, startedAt: nil, completedAt: nil, text: PackedStrings(tooMany)) == nil)
    }

    @Test("A deployment keeps the fields its earlier events gave, and merges their metadata")
    func deploymentFieldsAcrossEvents() async throws {
        let fixture = TrackerFixture()
        let first = try await fixture.tracker.record(DeploymentEventInput(
            productName: "api", version: "1.0.0", environmentName: "production", status: .started,
            startedAt: Timestamp(microseconds: 1_000),
            extraMetadata: RawJSONObject(members: [JSONMember("a", .number("1"))]),
            [.deployedBy: "jdoe", .invokeID: "run-1"]))
        let second = try await fixture.tracker.record(DeploymentEventInput(
            productName: "api", version: "1.0.0", environmentName: "production", status: .completed,
            extraMetadata: RawJSONObject(members: [JSONMember("b", .number("2"))]),
            [.scmSha: "abc123", .invokeID: "run-1"]))
        #expect(first.subject.deployment.id == second.subject.deployment.id)
        let deployment = second.subject.deployment
        #expect(deployment.status == .completed)
        #expect(deployment.deployedBy == "jdoe")
        #expect(deployment[.scmSha] == "abc123")
        #expect(deployment.invokeID == "run-1")
        #expect(deployment.startedAt == Timestamp(microseconds: 1_000))
        #expect(deployment.completedAt == second.recordedAt)
        #expect(deployment.extraMetadata == RawJSONObject(members: [
            JSONMember("a", .number("1")), JSONMember("b", .number("2"))]))
    }

    @Test("Records are found by id even if their ids stop ascending with their positions")
    func idsOutOfOrder() {
        let productID = EntityID(high: 1, low: 1)
        var state = ProductState(product: Product(id: productID, name: "api", createdAt: Timestamp(microseconds: 0)))
        // Ids in creation order, then two that go backwards (nothing issues these; the index must cope).
        let lows: [UInt64] = [10, 20, 30, 5, 25, 40]
        for (number, low) in lows.enumerated() {
            state.apply(AcceptedDeploymentEvent(
                eventID: EntityID(high: 3, low: low), recordedAt: Timestamp(microseconds: Int64(number)),
                productID: productID, versionID: EntityID(high: 2, low: low), environmentID: EntityID(high: 4, low: 1),
                deploymentID: EntityID(high: 5, low: low),
                input: DeploymentEventInput(productName: "api", version: "v\(low)", environmentName: "production",
                                            status: .completed)))
        }
        for low in lows {
            #expect(state.deployment(id: EntityID(high: 5, low: low))?.versionID == EntityID(high: 2, low: low))
            #expect(state.version(id: EntityID(high: 2, low: low))?.name == "v\(low)")
        }
        #expect(state.deployment(id: EntityID(high: 5, low: 15)) == nil)
        #expect(state.deployments.count == lows.count)
    }

    @Test("A copy of a product's state keeps its value while the original changes, and the other way round")
    func copiesAreValues() {
        let productID = EntityID(high: 1, low: 1)
        func event(_ low: UInt64, _ status: Status) -> AcceptedDeploymentEvent {
            AcceptedDeploymentEvent(
                eventID: EntityID(high: 3, low: low), recordedAt: Timestamp(microseconds: Int64(low)),
                productID: productID, versionID: EntityID(high: 2, low: low), environmentID: EntityID(high: 4, low: 1),
                deploymentID: EntityID(high: 5, low: low),
                input: DeploymentEventInput(productName: "api", version: "v\(low)", environmentName: "production", status: status))
        }
        var state = ProductState(product: Product(id: productID, name: "api", createdAt: Timestamp(microseconds: 0)))
        state.apply(event(1, .completed))
        let before = state
        state.apply(event(2, .completed))
        var other = before
        other.apply(event(3, .failed))
        #expect(before.deployments.map(\.id.low) == [1])
        #expect(before.events.count == 1 && before.version(named: "v2") == nil)
        #expect(before.currentDeployments(ofVersion: EntityID(high: 2, low: 1)).map(\.id.low) == [1])
        #expect(state.deployments.map(\.id.low) == [1, 2])
        #expect(state.currentDeployments(ofVersion: EntityID(high: 2, low: 1)).isEmpty)
        #expect(state.currentDeployments(ofVersion: EntityID(high: 2, low: 2)).map(\.id.low) == [2])
        #expect(other.deployments.map(\.id.low) == [1, 3])
        #expect(other.version(named: "v2") == nil && other.version(named: "v3") != nil)
        #expect(state.product.updatedAt == Timestamp(microseconds: 2) && before.product.updatedAt == Timestamp(microseconds: 1))
    }

    @Test("Ids in order are found by search, and an absent id is not found")
    func idsInOrder() {
        var index = IDPositions()
        var records: [EntityID] = []
        for low in stride(from: UInt64(2), through: 200, by: 2) {
            records.append(EntityID(high: 0, low: low))
            index.appended(to: records, id: { $0 })
        }
        #expect(!index.usesDictionary)
        for (position, id) in records.enumerated() { #expect(index.position(of: id, in: records, id: { $0 }) == position) }
        #expect(index.position(of: EntityID(high: 0, low: 3), in: records, id: { $0 }) == nil)
        records.append(EntityID(high: 0, low: 1))
        index.appended(to: records, id: { $0 })
        #expect(index.usesDictionary)
        #expect(index.position(of: EntityID(high: 0, low: 1), in: records, id: { $0 }) == records.count - 1)
    }

    @Test("Versions are found by SHA in any case, each version that has it")
    func versionsBySha() async throws {
        let fixture = TrackerFixture()
        try await fixture.deploy("api", "1.0.0", .completed, sha: "ABCDEF0123")
        try await fixture.deploy("api", "1.0.1", .completed, sha: "abcdef0123")
        try await fixture.deploy("api", "1.0.2", .completed, sha: "abcdef0124")
        let found = try await fixture.tracker.versions(VersionQuery(product: "api", scmSha: "AbCdEf0123"), PageRequest(limit: 10))
        #expect(Set(found.items.map(\.version.name)) == ["1.0.0", "1.0.1"])
    }
}

@Suite("Versions sharing their event's text")
struct VersionTextTests {
    @Test("A version read from its event's buffer shows that event's SHA, repository and branch")
    func sharedText() async throws {
        let fixture = TrackerFixture()
        try await fixture.tracker.record(BuildEventInput(productName: "api", version: "2.0.0",
                                                        [.scmSha: "aaa111", .scmBranch: "main", .scmRepository: "org/api"]))
        try await fixture.tracker.record(DeploymentEventInput(productName: "api", version: "2.0.1", environmentName: "dev",
                                                             status: .completed,
                                                             [.scmSha: "bbb222", .scmRepository: "org/api2", .scmBranch: "release"]))
        let versions = try await fixture.tracker.versions(VersionQuery(product: "api"), PageRequest(limit: 10)).items
        let byName = Dictionary(uniqueKeysWithValues: versions.map { ($0.version.name, $0.version) })
        #expect(byName["2.0.0"].map { [$0.scmSha, $0.scmRepository, $0.scmBranch] } == ["aaa111", "org/api", "main"])
        #expect(byName["2.0.1"].map { [$0.scmSha, $0.scmRepository, $0.scmBranch] } == ["bbb222", "org/api2", "release"])
    }

    @Test("An empty SHA gives a version no SHA, so a later event can set one")
    func emptySha() async throws {
        let fixture = TrackerFixture()
        try await fixture.deploy("api", "1.0.0", .completed, sha: "")
        var versions = try await fixture.tracker.versions(VersionQuery(product: "api"), PageRequest(limit: 10)).items
        #expect(versions.first?.version.scmSha == nil)
        try await fixture.build("api", "1.0.0", sha: "ccc333")
        versions = try await fixture.tracker.versions(VersionQuery(product: "api"), PageRequest(limit: 10)).items
        #expect(versions.first?.version.scmSha == "ccc333")
    }
}

