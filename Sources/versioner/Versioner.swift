import ArgumentParser
import Foundation

/// The `versioner` command: the server and the tools to operate it.
@main
struct Versioner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versioner",
        abstract: "A self-hosted deployment-tracking server.",
        discussion: """
            CI/CD pipelines report builds and deployments; people and tools ask what is deployed \
            where, what changed, and whether a commit has reached production.
            """,
        subcommands: [Serve.self, KeysCommand.self, SnapshotCommand.self, Restore.self, JournalCommand.self, ClusterCommand.self,
                      ImportCommand.self, ExportCommand.self]
    )

    /// Parses the command line, with `serve`'s options also read from `VERSIONER_…` variables.
    static func main() async {
        let arguments = EnvironmentOptions.arguments(Array(CommandLine.arguments.dropFirst()),
                                                     environment: ProcessInfo.processInfo.environment)
        await main(arguments)
    }
}
