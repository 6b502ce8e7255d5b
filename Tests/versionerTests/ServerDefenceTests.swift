import Foundation
import Testing
import VersionerCore
import VersionerTestSupport
import VersionerStore

#if canImport(Glibc)
import Glibc
#endif

@Suite("The server's defences", .serialized)
struct LiveServerTests {
    @Test("A first start without keys writes an admin key to admin.key (0600) and logs its path, never the key")
    func bootstrapAdminKey() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await ServerProcess.start(dataDirectory: directory.path, withAdminKey: false)
        let path = directory.path + "/admin.key"
        let key = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(APIKeys.parse(key) != nil)
        let body = #"{"product_name": "p", "version": "1", "environment_name": "e", "status": "success"}"#
        #expect(try await server.post("/deployment-events/", body, key: key) == 200)
        #expect(try await server.post("/deployment-events/", body, key: "sk_local_stranger0000_" + String(repeating: "s", count: 40)) == 401)
        server.kill(SIGTERM)
        let lines = server.output.all
        #expect(lines.contains { $0.contains("admin.key") })
        let secret = String(key.split(separator: "_")[3])
        #expect(!lines.contains { $0.contains(secret) })
        // A second start keeps the key: it is not made again.
        let again = try await ServerProcess.start(dataDirectory: directory.path, withAdminKey: false)
        #expect(try await again.post("/deployment-events/", body, key: key) == 200)
        again.kill(SIGTERM)
        #expect(!again.output.all.contains { $0.contains("created an admin key") })
    }

    @Test("A client that sends a byte at a time is cut off when its request time runs out")
    func slowClientCutOff() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await ServerProcess.start(dataDirectory: directory.path, extraArguments: ["--request-timeout", "1"])
        defer { server.kill(SIGTERM) }
        let socket = try connect(port: server.port)
        defer { close(socket) }
        // Trickle a request head; the server must close the connection before it is complete.
        let head = Array("POST /deployment-events/ HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 200)
        var closed = false
        for byte in head {
            if send(socket, [byte], 1, Int32(MSG_NOSIGNAL)) < 0 {
                closed = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))  // the trickle is the behaviour under test
            var probe: UInt8 = 0
            let read = recv(socket, &probe, 1, Int32(MSG_DONTWAIT))
            if read == 0 {
                closed = true
                break
            }
        }
        #expect(closed, "the server kept a trickling connection open for 20 seconds")
    }

    @Test("A request with too many header fields is refused, and the server keeps serving")
    func headerLimits() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await ServerProcess.start(dataDirectory: directory.path)
        defer { server.kill(SIGTERM) }
        let socket = try connect(port: server.port)
        defer { close(socket) }
        var request = "GET /health HTTP/1.1\r\nHost: x\r\n"
        for n in 0..<500 { request += "X-Filler-\(n): \(String(repeating: "v", count: 100))\r\n" }
        request += "\r\n"
        _ = Array(request.utf8).withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var answer = [UInt8](repeating: 0, count: 4096)
        let count = recv(socket, &answer, answer.count, 0)
        let text = count > 0 ? String(decoding: answer[0..<count], as: UTF8.self) : ""
        // Either an error status or a closed connection; never a 200 for the oversized request.
        #expect(count <= 0 || text.hasPrefix("HTTP/1.1 4"), "\(text.prefix(80))")
        #expect(try await server.status(of: "/health") == 200)
    }

    @Test("serve's options are read from VERSIONER_ variables; a bad value is refused naming the flag")
    func environmentConfiguration() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await ServerProcess.start(dataDirectory: directory.path, environment: [
            "VERSIONER_BASE_PATH": "/api/v9", "VERSIONER_LOG_FORMAT": "json", "VERSIONER_FSYNC": "interval",
            "VERSIONER_METRICS_REQUIRE_KEY": "true",
        ])
        #expect(try await server.status(of: "/api/v9/health") == 200)
        #expect(try await server.status(of: "/api/v9/metrics") == 401)
        #expect(try await server.status(of: "/api/v9/openapi.json") == 200)
        #expect(try await server.status(of: "/health") == 404)
        server.kill(SIGTERM)
        let jsonLines = server.output.all.filter { $0.hasPrefix("{") }
        #expect(!jsonLines.isEmpty)
        #expect(jsonLines.allSatisfy { (try? JSONValue(parsing: $0))?["level"] != nil })
        #expect(jsonLines.contains { (try? JSONValue(parsing: $0))?["http.path"]?.stringValue == "/api/v9/health" })

        let process = Process()
        process.executableURL = URL(filePath: ServerProcess.binary)
        process.arguments = ["serve", "--data-dir", directory.path]
        process.environment = ["VERSIONER_PORT": "eighty"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(message.contains("--port"))
    }
}

/// A TCP connection to 127.0.0.1:port.
func connect(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    return fd
}
