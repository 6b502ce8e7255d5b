import Foundation
import Synchronization

/// The system's IANA time zone database: the TZif files of Debian's `tzdata` under
/// `/usr/share/zoneinfo` (or `$TZDIR`), each read once and kept.
public final class TimeZoneDatabase: Sendable {
    /// The database of this machine.
    public static let system = TimeZoneDatabase(
        directory: ProcessInfo.processInfo.environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo")

    /// Where the TZif files are.
    public let directory: String
    /// Zones read so far; only names that exist are kept, so unknown names cannot grow it.
    private let zones = Mutex<[String: Zone]>([:])

    public init(directory: String) {
        self.directory = directory
    }

    /// The zone named `identifier` (exactly as the database spells it), or nil when there is none.
    public func zone(named identifier: String) -> Zone? {
        if let known = zones.withLock({ $0[identifier] }) { return known }
        guard Self.isPlausibleName(identifier) else { return nil }
        let zone: Zone
        if let data = FileManager.default.contents(atPath: directory + "/" + identifier),
           let read = try? Zone(identifier: identifier, tzif: Array(data)) {
            zone = read
        } else if Self.universal.contains(identifier) {
            zone = Zone(identifier: identifier, fixedOffset: 0)  // known even without tzdata: the default of insights
        } else {
            return nil
        }
        return zones.withLock { zones in
            if let raced = zones[identifier] { return raced }
            zones[identifier] = zone
            return zone
        }
    }

    /// The names of UTC that answer even where the directory is missing.
    static let universal: Set<String> = ["UTC", "Etc/UTC"]

    /// Whether the directory holds a database at all (tzdata's index or at least a UTC file).
    public var isInstalled: Bool {
        FileManager.default.fileExists(atPath: directory + "/tzdata.zi") || FileManager.default.fileExists(atPath: directory + "/UTC")
    }

    /// Whether the database has a zone named `identifier`.
    public func knows(_ identifier: String) -> Bool { zone(named: identifier) != nil }

    /// A name that can only reach a file inside the directory: segments of letters, digits and
    /// `_+-`, none empty or starting with a dot.
    static func isPlausibleName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 128 else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { segment in
            guard let first = segment.utf8.first, first != UInt8(ascii: ".") else { return false }
            return segment.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: ".")
            }
        }
    }
}
