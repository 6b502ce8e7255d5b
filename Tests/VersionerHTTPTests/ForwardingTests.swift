import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VersionerCore
import VersionerHTTP
import VersionerStore

/// A standby's journal: it follows the owner's, so it takes no appends (they answer 503).
final class FollowingJournal: Journal {
    func append(_ change: StateChange) throws(JournalError) -> UInt64 { throw JournalError("this node does not own the journal") }
    func waitDurable(_ sequence: UInt64) async throws(JournalError) {}
    var lastSequence: UInt64 { 0 }
}

/// A standby node hands writes to the journal's owner (a real server on 127.0.0.1) and relays
/// its answers; it answers reads from the state it follows.
@Suite("Requests handed to the journal's owner")
struct ForwardingTests {
    /// Runs `body` with an owner listening on a free port and a standby pointing at it.
    func withNodes(ownerURL: (@Sendable (Int) -> String)? = nil,
                   _ body: @Sendable (_ owner: Tracker, _ standby: API, _ state: ServerState) async throws -> Void) async throws {
        let ownerTracker = Tracker(shardCount: 2, journal: InMemoryJournal())
        let owner = buildApplication(
            configuration: ServerConfiguration(port: 0, bootstrapAdminKey: testAdminKey, nodeName: "a"),
            state: ServerState(Backend(tracker: ownerTracker)), logger: Logger(label: "owner"))
        try await owner.test(.live) { ownerClient in
            let port = try #require(ownerClient.port)
            let url = ownerURL?(port) ?? "http://127.0.0.1:\(port)"
            let standbyTracker = Tracker(shardCount: 2, journal: FollowingJournal())
            let state = ServerState(Backend(tracker: standbyTracker))
            state.update(node: NodeStatus(role: .standby, node: "b", ownerNode: "a", ownerURL: url))
            let standby = buildApplication(
                configuration: ServerConfiguration(port: 0, bootstrapAdminKey: testAdminKey, nodeName: "b"),
                state: state, logger: Logger(label: "standby"))
            try await standby.test(.router) { client in
                try await body(ownerTracker, API(client: client, tracker: standbyTracker), state)
            }
        }
    }

    @Test("A write sent to a standby is recorded by the owner, and its answer relayed whole")
    func writeForwarded() async throws {
        try await withNodes { owner, standby, _ in
            let answer = try await standby.deploy("api", "1.0.0", to: "production", status: "completed")
            #expect(answer.status == .ok)
            #expect(answer.json["version"]?.stringValue == "1.0.0")
            #expect(answer.headers[.contentType] == "application/json")
            #expect(await owner.deployments(DeploymentQuery(), PageRequest()).items.count == 1)
            // The standby's own state does not have it until it follows the journal.
            #expect(await standby.tracker.deployments(DeploymentQuery(), PageRequest()).items.isEmpty)
            // The owner's refusals are relayed as they are.
            let refused = try await standby.post("/deployment-events/", #"{"product_name": "api"}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(!refused.invalidFields.isEmpty)
            let unauthorised = try await standby.with(key: nil).deploy()
            #expect(unauthorised.status == .unauthorized)
        }
    }

    @Test("A read is answered by the standby from its own state")
    func readsStayLocal() async throws {
        try await withNodes { owner, standby, _ in
            _ = try await standby.deploy("api", "1.0.0")
            #expect(await owner.products(PageRequest()).items.count == 1)
            let products = try await standby.get("/products/")
            #expect(products.status == .ok)
            #expect(products.json.arrayValue?.isEmpty == true)
        }
    }

    @Test("A request already handed over once is not handed on again")
    func noSecondHop() async throws {
        try await withNodes { owner, standby, _ in
            let answer = try await standby.call(.post, "/deployment-events/",
                                                body: #"{"product_name": "api", "version": "1", "environment_name": "production", "status": "completed"}"#,
                                                headers: [HTTPField.Name("X-Versioner-Forwarded-By")!: "c"])
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.headers[.retryAfter] == "1")
            #expect(await owner.deployments(DeploymentQuery(), PageRequest()).items.isEmpty)
        }
    }

    @Test("An owner that cannot be reached gives 503 with Retry-After, and nothing is recorded")
    func ownerUnreachable() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        try await withNodes(ownerURL: { _ in "http://127.0.0.1:1" }) { owner, standby, _ in
            let answer = try await standby.deploy()
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.headers[.retryAfter] == "1")
            #expect(answer.detail == "Service temporarily unavailable")
            #expect(await owner.deployments(DeploymentQuery(), PageRequest()).items.isEmpty)
        }
    }

    @Test("/ready tells a standby with an owner from one without, and from the owner")
    func readiness() async throws {
        try await withNodes { _, standby, state in
            let ready = try await standby.get("/ready")
            #expect(ready.status == .ok)
            #expect(ready.json["role"]?.stringValue == "standby")
            #expect(ready.json["owner"]?.stringValue == "a")
            state.update(node: NodeStatus(role: .disconnected, node: "b", ownerNode: "b"))
            let lost = try await standby.get("/ready")
            #expect(lost.status == .serviceUnavailable)
            #expect(lost.detail?.contains("unreachable") == true)
            // Reads go on from memory meanwhile.
            #expect(try await standby.get("/products/").status == .ok)
            state.update(node: NodeStatus(role: .owner, node: "b", epoch: 4, applied: 12, journalEnd: 12, ownerNode: "b"))
            let owning = try await standby.get("/ready")
            #expect(owning.status == .ok)
            #expect(owning.json["epoch"]?.intValue == 4)
            #expect(owning.json["applied"]?.intValue == 12)
        }
    }

    @Test("/cluster/ on a server with its own files says it is not part of a cluster")
    func noCluster() async throws {
        try await withAPI { api in
            let answer = try await api.get("/cluster/")
            #expect(answer.status == .notFound)
            #expect(answer.detail?.contains("not part of a cluster") == true)
        }
    }
}
