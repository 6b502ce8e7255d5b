import ArgumentParser
import Foundation
import VersionerCore
import VersionerStore

#if canImport(Glibc)
import Glibc
#endif

/// `--data-dir`, shared by every command that works on a data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(help: "The data directory (journal and snapshots). Default: $VERSIONER_DATA_DIR, else ./data.")
    var dataDir: String = defaultDataDirectory()
}

func defaultDataDirectory() -> String {
    if let value = getenv("VERSIONER_DATA_DIR"), let text = String(validatingCString: value), !text.isEmpty {
        return text
    }
    return "./data"
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    FileHandle.standardError.write(Data(line.utf8))
}

/// A byte count for people: `1.4 MiB`.
func humanBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// What an operator can do when the journal starts after every snapshot that verifies: the
/// records in between are gone, so neither `serve` nor `journal repair` can go on, and the one
/// way out is `restore` from a snapshot that holds them. Names the snapshots found that may.
func missingStartAdvice(_ directory: DataDirectory) -> String {
    let broken = ((try? FileManager.default.contentsOfDirectory(atPath: directory.snapshots)) ?? [])
        .filter { $0.hasSuffix(".broken") }.sorted().map { directory.snapshots + "/" + $0 }
    let candidates = directory.setAsideSnapshots()
    var lines = ["No snapshot here holds the missing records, and `journal repair` cannot bring them back.",
                 "Restore from a snapshot that holds them (a backup copy, or one set aside by an earlier restore):",
                 "    versioner restore --from FILE --data-dir \(directory.root)"]
    if !broken.isEmpty { lines.append("Set aside as damaged: " + broken.joined(separator: ", ")) }
    if candidates.isEmpty {
        lines.append("No older snapshots were found in \(directory.root)/before-restore-*/snapshots/.")
    } else {
        lines.append("Older snapshots in this data directory, newest first:")
        lines += candidates.map { "    " + $0 }
    }
    return lines.joined(separator: "\n")
}
