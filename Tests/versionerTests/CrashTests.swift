import Foundation
import Synchronization
import Testing
import VersionerCore
import VersionerTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Crash safety", .serialized)
struct CrashTests {
    @Test("Every event answered 200 survives kill -9 at a random moment", arguments: 1...3)
    func killNine(round: Int) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var acknowledged = Set<String>()
        for life in 0..<2 {
            let server = try await ServerProcess.start(dataDirectory: directory.path)
            let accepted = VersionSet()
            let (firstAccepted, signal) = AsyncStream<Void>.makeStream()
            let writers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for client in 0..<6 {
                        group.addTask {
                            for n in 0..<10_000 {
                                let version = "r\(round)-l\(life)-c\(client)-\(n)"
                                let body = #"{"product_name": "p\#(n % 5)", "version": "\#(version)", "environment_name": "prod", "status": "success"}"#
                                guard let status = try? await server.post("/deployment-events/", body) else { return }
                                if status == 200 {
                                    accepted.insert(version)
                                    signal.finish()
                                }
                            }
                        }
                    }
                }
                signal.finish()  // also when no event was acknowledged: the expectation below says so
            }
            // Ingest is under way once an event is acknowledged (a loaded machine may take a while);
            // then the point of the test: the kill lands at an arbitrary moment of it.
            for await _ in firstAccepted {}
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...450)))
            server.kill(SIGKILL)
            await writers.value
            acknowledged.formUnion(accepted.values)
            #expect(!accepted.values.isEmpty)
        }
        let restarted = try await ServerProcess.start(dataDirectory: directory.path)
        let stored = try await restarted.allDeploymentVersions()
        restarted.kill(SIGTERM)
        #expect(restarted.exitStatus == 0)
        let lost = acknowledged.subtracting(stored)
        #expect(lost.isEmpty, "\(lost.count) acknowledged events lost, e.g. \(lost.prefix(3))")
    }
}

/// Versions collected from concurrent clients.
final class VersionSet: Sendable {
    private let stored = Mutex(Set<String>())
    func insert(_ version: String) { stored.withLock { _ = $0.insert(version) } }
    var values: Set<String> { stored.withLock { $0 } }
}

