import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VersionerCore

/// `versioner cluster status`: the nodes sharing a PostgreSQL journal, as a running node sees them.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Look at the nodes that share a PostgreSQL journal.",
        subcommands: [Status.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which node owns the journal, and how far each node has applied it.",
            discussion: """
                Asks the server for GET /cluster/ (with the key in $VERSIONER_API_KEY, scope read), \
                then asks each node listed for its /ready.
                """
        )

        @Option(help: "The URL of any node, such as http://127.0.0.1:8080 (with its base path, if any).")
        var server: String

        func run() async throws {
            var base = server
            while base.hasSuffix("/") { base.removeLast() }
            let key = ProcessInfo.processInfo.environment["VERSIONER_API_KEY"]
            let (status, text) = try await get(base + "/cluster/", key: key)
            guard status == 200 else {
                printError("versioner: the server answered \(status): \(text)")
                throw ExitCode.failure
            }
            let view = try JSONValue(parsing: text)
            let owner = view["owner"]?.stringValue ?? "none"
            let ownerURL = view["owner_url"]?.stringValue.map { " (\($0))" } ?? ""
            print("owner: \(owner)\(ownerURL), epoch \(view["epoch"]?.intValue ?? 0); the journal ends at \(view["journal_end"]?.intValue ?? 0)")
            var rows = [["NODE", "ROLE", "APPLIED", "LAG", "HEARTBEAT", "READY", "URL"]]
            let end = view["journal_end"]?.intValue ?? 0
            for member in view["nodes"]?.arrayValue ?? [] {
                let url = member["url"]?.stringValue
                var ready = "-"
                if let url {
                    let answer = try? await get(url + "/ready", key: nil)
                    ready = answer.map { $0.status == 200 ? "ready" : "\($0.status)" } ?? "unreachable"
                }
                let applied = member["applied"]?.intValue ?? 0
                rows.append([
                    member["name"]?.stringValue ?? "?", member["role"]?.stringValue ?? "?", "\(applied)",
                    "\(max(0, end - applied))", age(member["heartbeat_age_seconds"]), ready, url ?? "-",
                ])
            }
            let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }

        /// `0.4 s ago`, from the number the server gives.
        private func age(_ value: JSONValue?) -> String {
            if case .number(let text) = value { return "\(text) s ago" }
            return "?"
        }

        private func get(_ address: String, key: String?) async throws -> (status: Int, body: String) {
            guard let url = URL(string: address) else { throw ValidationError("--server is not a URL") }
            var request = URLRequest(url: url, timeoutInterval: 10)
            if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
            let (body, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: body, as: UTF8.self))
        }
    }
}
