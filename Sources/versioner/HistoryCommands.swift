import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VersionerCore

/// `versioner import FILE --server URL`: sends a history file to `POST /import/`.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring history in: send a file of events (one JSON object a line) to a server.",
        discussion: """
            Each line is {"type": "deployment" | "build", "event": {…}}, the event as a pipeline \
            would have sent it, such as a file `versioner export` wrote. The server checks every \
            line first and records all of them or none. Uses the admin key in $VERSIONER_API_KEY.
            """
    )

    @Argument(help: "The file to import; - reads standard input.")
    var file: String

    @Option(help: "The server's URL, such as http://127.0.0.1:8080 (with its base path, if any).")
    var server: String

    func run() async throws {
        let body: Data
        if file == "-" {
            body = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            body = data
        }
        var request = try HistoryClient.request(server, path: "/import/")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        let text = String(buffer: try await response.body.collect(upTo: 64 * 1024 * 1024))
        guard response.status.code == 200 else {
            printError("versioner: the server answered \(response.status.code): \(HistoryClient.describe(text))")
            throw ExitCode.failure
        }
        let answer = try JSONValue(parsing: text)
        print("imported \(answer["imported"]?.intValue ?? 0) events")
    }
}

/// `versioner export --server URL`: writes the server's event log as history lines.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Take history out: write a server's events, one JSON object a line.",
        discussion: """
            Streams GET /events/export to standard output (or --output), in the format \
            `versioner import` reads. Uses the admin key in $VERSIONER_API_KEY.
            """
    )

    @Option(help: "The server's URL, such as http://127.0.0.1:8080 (with its base path, if any).")
    var server: String

    @Option(help: "Only events recorded at or after this instant (RFC 3339).")
    var since: String?

    @Option(help: "Only events recorded at or before this instant (RFC 3339).")
    var until: String?

    @Option(help: "Only this product's events.")
    var product: String?

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        var query: [URLQueryItem] = []
        if let since { query.append(URLQueryItem(name: "since", value: since)) }
        if let until { query.append(URLQueryItem(name: "until", value: until)) }
        if let product { query.append(URLQueryItem(name: "product", value: product)) }
        let request = try HistoryClient.request(server, path: "/events/export", query: query)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3600))
        guard response.status.code == 200 else {
            let text = String(buffer: try await response.body.collect(upTo: 1024 * 1024))
            printError("versioner: the server answered \(response.status.code): \(HistoryClient.describe(text))")
            throw ExitCode.failure
        }
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let opened = FileHandle(forWritingAtPath: output) else {
                throw ValidationError("cannot write \(output)")
            }
            handle = opened
        } else {
            handle = FileHandle.standardOutput
        }
        // Written as it arrives: an export of millions of events is never held whole.
        for try await buffer in response.body {
            handle.write(Data(buffer.readableBytesView))
        }
        if output != nil { try handle.close() }
    }
}

/// What both commands share: the request to the server, with its key.
enum HistoryClient {
    static func request(_ server: String, path: String, query: [URLQueryItem] = []) throws -> HTTPClientRequest {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        guard var components = URLComponents(string: base + path), components.scheme == "http" || components.scheme == "https" else {
            throw ValidationError("--server must be an http:// or https:// URL")
        }
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.string else { throw ValidationError("--server is not a URL") }
        var request = HTTPClientRequest(url: url)
        if let key = ProcessInfo.processInfo.environment["VERSIONER_API_KEY"], !key.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
        }
        return request
    }

    /// The `detail` of an error answer, one problem a line; else the answer as it is.
    static func describe(_ text: String) -> String {
        guard let answer = try? JSONValue(parsing: text), let detail = answer["detail"] else { return text }
        if let message = detail.stringValue { return message }
        let problems = (detail.arrayValue ?? []).map { problem -> String in
            let line = problem["line"]?.intValue.map { "line \($0): " } ?? ""
            let location = (problem["loc"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ".")
            return "\n  \(line)\(location): \(problem["msg"]?.stringValue ?? "")"
        }
        return problems.joined()
    }
}
