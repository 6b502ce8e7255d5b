import Testing
import VersionerCore
@testable import VersionerPostgres

@Suite("The journal URL")
struct PostgresLocationTests {
    @Test("A URL with one host, a port and a password")
    func oneHost() throws {
        let location = try PostgresLocation(url: "postgres://versioner:s3cret@db.internal:6432/deployments")
        #expect(location.hosts == [.init(name: "db.internal", port: 6432)])
        #expect(location.user == "versioner")
        #expect(location.password == "s3cret")
        #expect(location.database == "deployments")
        #expect(location.description == "postgres://versioner:***@db.internal:6432/deployments")
    }

    @Test("Several hosts in order, the default port, escapes, and no password")
    func severalHosts() throws {
        let location = try PostgresLocation(url: "postgresql://ci%40corp@a:5433,b,c:5435/my%20db?sslmode=disable")
        #expect(location.hosts.map(\.name) == ["a", "b", "c"])
        #expect(location.hosts.map(\.port) == [5433, 5432, 5435])
        #expect(location.user == "ci@corp")
        #expect(location.password == nil)
        #expect(location.database == "my db")
        #expect(location.description == "postgres://ci@corp@a:5433,b:5432,c:5435/my db")
    }

    @Test("A password with reserved characters is decoded, and never shown", arguments: [
        "postgres://u:p%40ss%3Aword@h/d", "postgres://u:p@ss:word@h/d",
    ])
    func reservedCharacters(url: String) throws {
        let location = try PostgresLocation(url: url)
        #expect(location.password == "p@ss:word")
        #expect(location.hosts == [.init(name: "h", port: 5432)])
        #expect(!location.description.contains("word"))
    }

    @Test("Unusable URLs are refused, saying why and without the password", arguments: [
        ("mysql://u@h/d", "must begin with postgres://"),
        ("postgres://h:5432/d", "must name a user"),
        ("postgres://u:topsecret@h:5432", "must name a database"),
        ("postgres://u@h:99999/d", "invalid port"),
        ("postgres://u@h:abc/d", "invalid port"),
        ("postgres://u:topsecret@/d", "empty host"),
        ("postgres://u@h,/d", "empty host"),
        ("postgres://u@h/", "names no database"),
    ])
    func refused(url: String, reason: String) {
        do {
            _ = try PostgresLocation(url: url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
            #expect(!error.description.contains("topsecret"))
        }
    }
}

@Suite("A node's view of the journal")
struct NodeJournalTests {
    @Test("A following node refuses appends; once it owns the journal they go on from what it applied")
    func followThenOwn() async throws {
        let journal = NodeJournal(following: 0)
        journal.markApplied(1)
        journal.markApplied(2)
        #expect(journal.lastSequence == 2)
        #expect(throws: JournalError.self) { _ = try journal.append(.productDeleted(EntityID(high: 1, low: 1))) }
        try await journal.waitDurable(2)
        await #expect(throws: JournalError.self) { try await journal.waitDurable(3) }

        let owned = PostgresJournal(after: journal.lastSequence, epoch: 7, clock: SystemWallClock(), metrics: .init())
        journal.own(owned)
        #expect(try journal.append(.productDeleted(EntityID(high: 1, low: 1))) == 3)
        #expect(journal.lastSequence == 3)
        // Following no longer moves an owner's position.
        journal.markApplied(10)
        #expect(journal.lastSequence == 3)
        // A failed journal fails its waiting writers and every later append (answered 503).
        owned.fail("connection lost")
        await #expect(throws: JournalError("connection lost")) { try await journal.waitDurable(3) }
        #expect(throws: JournalError("connection lost")) { _ = try journal.append(.productDeleted(EntityID(high: 1, low: 2))) }
        await owned.ended()
    }

    @Test("A query that never completes fails at its deadline instead of hanging")
    func deadline() async throws {
        await #expect(throws: ConnectionLost.self) {
            // A body that outlives the test by far: left running, as a lost query would be.
            _ = try await withDeadline(.milliseconds(20)) {
                try await Task.sleep(for: .seconds(3_600))
                return 0
            }
        }
        #expect(try await withDeadline(.seconds(60)) { 42 } == 42)
    }
}
