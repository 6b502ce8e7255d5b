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
