import ArgumentParser
import Foundation
import Logging
import VersionerCore
import VersionerStore

/// `versioner keys`: manage API keys on a stopped server's data directory.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys on a stopped server's data directory.",
        discussion: "A running server manages keys over HTTP instead: GET/POST /api-keys/, DELETE /api-keys/{id}.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the only time it is shown).")

        @OptionGroup var data: DataDirectoryOption

        @Option(help: "A name for the key, such as the pipeline that uses it.")
        var name: String

        @Option(help: "A longer description.")
        var description: String?

        @Option(name: .customLong("scope"), help: "A scope: events:write, read or admin (repeat for several).")
        var scopes: [Scope] = [.eventsWrite]

        @Option(help: "The account slug in the key (sk_<account>_…).")
        var account = "local"

        func validate() throws {
            guard APIKeys.isValidAccount(account) else { throw ValidationError("--account must be 1 to 32 lowercase letters, digits or '-'") }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.unicodeScalars.count <= 255 else {
                throw ValidationError("--name must be 1 to 255 characters")
            }
        }

        func run() async throws {
            let issued = try await withOfflineTracker(data.dataDir) { tracker in
                try await tracker.issueKey(name: name, description: description, scopes: scopes, account: account)
            }
            print(issued.token)
            printError("created key \(issued.key.id) (\(issued.key.prefix), scopes \(issued.key.scopes.map(\.rawValue).joined(separator: " "))); "
                       + "the key above is shown once and stored only as a hash")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys (never their secrets).")

        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let keys = try await withOfflineTracker(data.dataDir) { tracker in
                tracker.keys(PageRequest(limit: PageRequest.maximumLimit)).items
            }
            if keys.isEmpty { print("no keys") }
            for key in keys {
                let state = key.revokedAt.map { "revoked \($0.rfc3339)" } ?? "active"
                print("\(key.id)  \(key.prefix)  \(key.name)  [\(key.scopes.map(\.rawValue).joined(separator: " "))]  \(state)"
                      + "  last used \(key.lastUsedAt?.rfc3339 ?? "never")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: it is refused from then on.")

        @OptionGroup var data: DataDirectoryOption

        @Argument(help: "The key's id (from `keys list`).")
        var id: String

        func run() async throws {
            guard let id = EntityID(uuidString: id) else { throw ValidationError("the id must be a UUID, as `keys list` shows it") }
            let key = try await withOfflineTracker(data.dataDir) { tracker in try await tracker.revokeKey(id: id) }
            print("revoked \(key.prefix) (\(key.name))")
        }
    }
}

extension Scope: ExpressibleByArgument {}

/// Recovers a stopped server's state, runs `body` on a tracker that journals to its data
/// directory, then closes the journal. Holds the directory's lock throughout.
func withOfflineTracker<T: Sendable>(_ path: String, _ body: (Tracker) async throws -> T) async throws -> T {
    let directory = DataDirectory(path)
    let lock = try directory.lock()
    defer { withExtendedLifetime(lock) {} }
    let logger = commandLogger()
    let (state, report) = try Recovery.recover(directory, cutTornTail: true, logger: logger)
    let journal = try FileJournal.continuing(directory, after: report.lastSequence, logger: logger,
                                             onFatal: { message in printError("versioner: fatal: \(message)") })
    let tracker = Tracker(shardCount: 1, journal: journal, state: state)
    do {
        let result = try await body(tracker)
        await journal.close()
        return result
    } catch {
        await journal.close()
        throw error
    }
}
