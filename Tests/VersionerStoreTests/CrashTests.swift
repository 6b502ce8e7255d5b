import Foundation
import Synchronization
import Testing
import VersionerCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `versioner serve` as a child process on a data directory.
final class ServerProcess: Sendable {
    /// The admin key the test servers are started with.
    static let adminKey = "sk_local_crashtest0000_" + String(repeating: "K", count: 40)

    static let binary = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: ".build/debug/versioner").path()

    private let process: Process
    let port: Int
    /// Every line the server wrote so far.
    let output: LineLog

    /// Starts the server and returns once it has recovered and listens.
    static func start(dataDirectory: String, extraArguments: [String] = [], withAdminKey: Bool = true,
                      environment extra: [String: String] = [:]) async throws -> ServerProcess {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the server first: swift build")
        let process = Process()
        process.executableURL = URL(filePath: binary)
        var environment = ProcessInfo.processInfo.environment
        environment["VERSIONER_ADMIN_KEY"] = withAdminKey ? adminKey : nil
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let log = LineLog()
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory, "--snapshot-every", "150"] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let (lines, continuation) = AsyncStream<String>.makeStream()
        let buffer = Mutex("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                continuation.finish()
                handle.readabilityHandler = nil
                return
            }
            let complete: [String] = buffer.withLock { text in
                text += String(decoding: data, as: UTF8.self)
                var parts = text.components(separatedBy: "\n")
                text = parts.removeLast()
                return parts
            }
            for line in complete {
                log.append(line)
                continuation.yield(line)
            }
        }
        try process.run()
        // A server that never says it is ready is stopped after a minute, which ends its output.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            process.terminate()
        }
        defer { watchdog.cancel() }
        // Await the log lines that say recovery has finished and the port is open.
        var port: Int?
        var ready = false
        for await line in lines {
            if line.contains("ready to serve") { ready = true }
            // Text logs say `http.port=1234`, JSON logs `"http.port":"1234"`.
            if line.contains("listening"), let range = line.range(of: "http.port=") ?? line.range(of: "\"http.port\":\"") {
                port = Int(line[range.upperBound...].prefix(while: \.isNumber))
            }
            if ready, port != nil { break }
        }
        let server = ServerProcess(process: process, port: try #require(port, "the server did not start"), output: log)
        Task { for await _ in lines {} }  // keep draining its output
        return server
    }

    private init(process: Process, port: Int, output: LineLog) {
        self.process = process
        self.port = port
        self.output = output
    }

    func kill(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    var exitStatus: Int32 { process.terminationStatus }

    func post(_ path: String, _ body: String, key: String = ServerProcess.adminKey) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 10
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    func status(of path: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 10
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    func get(_ path: String) async throws -> JSONValue {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 10
        request.setValue("Bearer \(Self.adminKey)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        return try JSONValue(parsing: String(decoding: data, as: UTF8.self))
    }

    /// Every deployment's version string, following the pages.
    func allDeploymentVersions() async throws -> Set<String> {
        var versions = Set<String>()
        var cursor: String?
        repeat {
            let page = try await get("/deployments/?limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""))
            let items = page.arrayValue ?? []
            for item in items { if let version = item["version"]?.stringValue { versions.insert(version) } }
            cursor = items.count == 1000 ? items.last?["id"]?.stringValue?.replacingOccurrences(of: "-", with: "") : nil
        } while cursor != nil
        return versions
    }
}

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
            let writers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for client in 0..<6 {
                        group.addTask {
                            for n in 0..<10_000 {
                                let version = "r\(round)-l\(life)-c\(client)-\(n)"
                                let body = #"{"product_name": "p\#(n % 5)", "version": "\#(version)", "environment_name": "prod", "status": "success"}"#
                                guard let status = try? await server.post("/deployment-events/", body) else { return }
                                if status == 200 { accepted.insert(version) }
                            }
                        }
                    }
                }
            }
            // The point of the test: the kill lands at an arbitrary moment of the ingest.
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...600)))
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

/// Lines collected from a process's output.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
