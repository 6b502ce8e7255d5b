#if canImport(Glibc)
import Glibc
#endif
import Logging
import VersionerCore

/// The folders of a data directory, and the lock that keeps two processes from writing it.
///
/// ```
/// <data-dir>/LOCK
/// <data-dir>/journal/00000000000000000001.wal …
/// <data-dir>/snapshots/00000000000000123456.snap …
/// ```
public struct DataDirectory: Sendable {
    public let root: String
    public var journal: String { root + "/journal" }
    public var snapshots: String { root + "/snapshots" }

    public init(_ root: String) {
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// Snapshot files that `restore` moved aside (`<data-dir>/before-restore-<time>/snapshots/`),
    /// newest folder first: where an older state can be found when the current one cannot start.
    public func setAsideSnapshots() -> [String] {
        guard let names = try? PosixFile.list(root) else { return [] }
        return names.filter { $0.hasPrefix("before-restore-") }.sorted(by: >).flatMap { folder in
            let snapshots = root + "/" + folder + "/snapshots"
            let files = (try? PosixFile.list(snapshots)) ?? []
            return files.filter { $0.hasSuffix(SnapshotFormat.fileExtension) }.sorted(by: >).map { snapshots + "/" + $0 }
        }
    }

    public func create() throws {
        try PosixFile.makeDirectory(journal)
        try PosixFile.makeDirectory(snapshots)
    }

    /// Takes the directory's lock for the life of the process; fails when another process holds it.
    public func lock() throws -> DataDirectoryLock {
        try create()
        let path = root + "/LOCK"
        let fd = try PosixFile.open(path, flags: O_RDWR | O_CREAT, mode: 0o600)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw LockError(path: root)
        }
        return DataDirectoryLock(fd: fd)
    }

    /// Another process (a running server, or another command) holds the data directory.
    public struct LockError: Error, CustomStringConvertible {
        public var path: String
        public var description: String {
            "\(path) is in use by another process (a running `versioner serve`?); stop it first"
        }
    }
}

/// Holds a data directory's lock until released or the process ends.
public final class DataDirectoryLock: Sendable {
    private let fd: Int32

    init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        Glibc.close(fd)
    }
}
