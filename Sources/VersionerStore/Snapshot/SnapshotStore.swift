import Logging
import VersionerCore

/// A snapshot file on disk, as its header describes it.
public struct SnapshotInfo: Sendable {
    public var path: String
    public var header: SnapshotHeader
    public var fileBytes: Int
    public var sequence: UInt64 { header.sequence }
}

/// Writes, lists, loads and prunes the snapshot files of a data directory.
public enum SnapshotStore {
    /// Writes a capture as `<sequence>.snap`: temporary file, sync, rename, sync the directory.
    /// Blocks: call it off the cooperative thread pool.
    public static func write(_ capture: StateCapture, to directory: String, compressionLevel: Int32 = 1) throws -> SnapshotInfo {
        try write(CapturedSource(capture), to: directory, compressionLevel: compressionLevel)
    }

    /// Writes a live capture, copying each product from its shard when its turn comes.
    ///
    /// Encoding, compression and the write run on a thread of their own (at `niceness`, so that
    /// requests keep the CPU when both are busy); this task fetches each product that thread asks
    /// for, so it never blocks the cooperative pool.
    public static func write(_ capture: LiveCapture, to directory: String, compressionLevel: Int32 = 1,
                             niceness: Int32 = 0) async throws -> SnapshotInfo {
        let (requests, requester) = AsyncStream.makeStream(of: RequestingSource.Request.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await request in requests { request.reply.answer(await capture.product(at: request.index)) }
            }
            defer { requester.finish() }
            return try await onOwnThread(niceness: niceness) {
                defer { requester.finish() }
                return try write(RequestingSource(capture: capture, requests: requester), to: directory,
                                 compressionLevel: compressionLevel)
            }
        }
    }

    private static func write(_ source: some SnapshotSource, to directory: String, compressionLevel: Int32) throws -> SnapshotInfo {
        try PosixFile.makeDirectory(directory)
        let (bytes, header) = try SnapshotFormat.file(source, level: compressionLevel)
        let path = directory + "/" + SnapshotFormat.fileName(sequence: header.sequence)
        try PosixFile.writeAtomically(bytes, to: path, directory: directory)
        return SnapshotInfo(path: path, header: header, fileBytes: bytes.count)
    }

    /// The snapshot files of a directory, newest first, by their headers alone. Files whose header
    /// cannot be read are listed in `unreadable`.
    public static func list(_ directory: String) throws -> (snapshots: [SnapshotInfo], unreadable: [SnapshotError]) {
        guard PosixFile.exists(directory) else { return ([], []) }
        var snapshots: [SnapshotInfo] = []
        var unreadable: [SnapshotError] = []
        for name in try PosixFile.list(directory) where name.hasSuffix(SnapshotFormat.fileExtension) {
            let path = directory + "/" + name
            do {
                let bytes = try PosixFile.readAll(path)
                let header = try SnapshotFormat.header(bytes, path: path)
                snapshots.append(SnapshotInfo(path: path, header: header, fileBytes: bytes.count))
            } catch let error as SnapshotError {
                unreadable.append(error)
            } catch {
                unreadable.append(SnapshotError(path: path, reason: "\(error)"))
            }
        }
        return (snapshots.sorted { $0.sequence > $1.sequence }, unreadable)
    }

    /// Reads and fully verifies one snapshot file.
    public static func load(_ path: String) throws -> LoadedSnapshot {
        try SnapshotFormat.decode(try PosixFile.readAll(path), path: path)
    }

    /// The newest snapshot that verifies. Each newer one that does not is renamed `*.broken`
    /// and logged, and the one before it is tried.
    ///
    /// With `notPast`, snapshots of a later sequence are passed over (and kept): a journal that
    /// lives elsewhere (a database) is the authority, and a snapshot must not hold more than it.
    public static func loadNewestValid(_ directory: String, notPast limit: UInt64? = nil,
                                       logger: Logger) throws -> (LoadedSnapshot, SnapshotInfo)? {
        let (snapshots, unreadable) = try list(directory)
        for problem in unreadable { setAside(problem, logger: logger) }
        for info in snapshots where info.sequence <= (limit ?? .max) {
            do {
                return (try load(info.path), info)
            } catch let error as SnapshotError {
                setAside(error, logger: logger)
            }
        }
        return nil
    }

    /// Renames every snapshot file of the directory to `<name><suffix>` (kept, never loaded
    /// again); returns how many.
    public static func setAsideAll(_ directory: String, suffix: String) throws -> Int {
        guard PosixFile.exists(directory) else { return 0 }
        var moved = 0
        for name in try PosixFile.list(directory) where name.hasSuffix(SnapshotFormat.fileExtension) {
            try PosixFile.rename(directory + "/" + name, to: directory + "/" + name + suffix)
            moved += 1
        }
        return moved
    }

    private static func setAside(_ problem: SnapshotError, logger: Logger) {
        let broken = problem.path + ".broken"
        logger.error("snapshot does not verify; set aside, using an older one", metadata: [
            "snapshot.path": "\(problem.path)", "snapshot.problem": "\(problem.reason)", "snapshot.moved_to": "\(broken)",
        ])
        try? PosixFile.rename(problem.path, to: broken)
    }

    /// Deletes all but the newest `keep` snapshots; returns the sequence of the oldest one kept.
    @discardableResult
    public static func prune(_ directory: String, keep: Int) throws -> UInt64? {
        let snapshots = try list(directory).snapshots
        for old in snapshots.dropFirst(max(1, keep)) { try PosixFile.remove(old.path) }
        return snapshots.prefix(max(1, keep)).last?.sequence
    }

    /// Deletes journal segments whose records are all at or before `sequence` (every kept
    /// snapshot holds them). The newest segment is never deleted.
    public static func pruneJournal(_ directory: String, through sequence: UInt64) throws -> Int {
        let segments = try JournalReader.segmentFiles(in: directory)
        var removed = 0
        for (index, segment) in segments.enumerated().dropLast() where segments[index + 1].firstSequence <= sequence + 1 {
            try PosixFile.remove(segment.path)
            removed += 1
        }
        return removed
    }
}
