/// What `journal repair` moved aside.
public struct JournalRepair: Sendable {
    /// The damage the journal was cut at.
    public var damage: JournalDamage
    /// Where the bytes from the damaged record to the end of its segment went.
    public var cutBytesPath: String
    public var cutBytes: Int
    /// Later segments, renamed `*.cut`.
    public var setAside: [String]

    /// Cuts the journal at its first damaged record: the rest of that segment is copied to
    /// `<segment>.cut-<offset>` and the segment truncated; later segments are renamed `*.cut`.
    /// Returns nil when the journal is intact. Take the data directory's lock first.
    public static func repair(_ directory: DataDirectory) throws -> JournalRepair? {
        // Read from the first segment there is (older ones are deleted once snapshots hold them).
        let first = try JournalReader.segmentFiles(in: directory.journal).first?.firstSequence ?? 1
        let damage: JournalDamage
        do {
            guard let torn = try JournalReader.scan(directory: directory.journal, after: first - 1).tornTail else { return nil }
            damage = torn
        } catch let found as JournalDamage {
            damage = found
        }
        let bytes = try PosixFile.readAll(damage.path)
        let cutPath = damage.path + ".cut-\(damage.offset)"
        let fd = try PosixFile.open(cutPath, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        try PosixFile.writeAll(fd, Array(bytes[damage.offset...]), path: cutPath)
        try PosixFile.fullSync(fd, path: cutPath)
        try PosixFile.truncate(damage.path, to: damage.offset)
        var setAside: [String] = []
        for segment in try JournalReader.segmentFiles(in: directory.journal) where segment.path > damage.path {
            try PosixFile.rename(segment.path, to: segment.path + ".cut")
            setAside.append(segment.path + ".cut")
        }
        try PosixFile.syncDirectory(directory.journal)
        return JournalRepair(damage: damage, cutBytesPath: cutPath, cutBytes: bytes.count - damage.offset, setAside: setAside)
    }
}

#if canImport(Glibc)
import Glibc
#endif
