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

    /// The `versioner` executable this test target depends on: built beside the test binary.
    static let binary: String = {
        let tests = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(filePath: tests).deletingLastPathComponent().appending(path: "versioner").path()
    }()

    private let process: Process
    let port: Int
    /// Every line the server wrote so far.
    let output: LineLog

    /// Starts the server and returns once it has recovered and listens.
    static func start(dataDirectory: String, extraArguments: [String] = [], withAdminKey: Bool = true,
                      environment extra: [String: String] = [:]) async throws -> ServerProcess {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no versioner executable at \(binary)")
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

/// What a finished run of the `versioner` executable printed, and how it exited.
struct CommandRun {
    var status: Int32
    var output: String
    var errors: String

    /// Runs `versioner` with these arguments to its end (a command that hangs is stopped after a minute).
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandRun {
        let process = Process()
        process.executableURL = URL(filePath: ServerProcess.binary)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let (exited, exit) = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exit.finish() }
        try process.run()
        let outputText = Task { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        let errorText = Task { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            process.terminate()
        }
        for await _ in exited {}
        watchdog.cancel()
        return CommandRun(status: process.terminationStatus, output: await outputText.value, errors: await errorText.value)
    }
}

/// Lines collected from a process's output.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
