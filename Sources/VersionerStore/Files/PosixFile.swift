#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation, naming the file and the call.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var code: Int32

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// Thin wrappers over the POSIX calls the journal and snapshots need. Every call blocks: use
/// them only from the journal's writer thread, a snapshot thread, or a command-line tool.
enum PosixFile {
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(FileError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", code: errno) }
        return fd
    }

    /// Writes all of `bytes`, retrying short writes and interrupts.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(FileError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress!.advanced(by: offset), bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "write", code: errno)
            }
            offset += written
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileError) {
        let result: Result<Void, FileError> = bytes.withUnsafeBytes { buffer in
            do throws(FileError) {
                try writeAll(fd, buffer, path: path)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    static func dataSync(_ fd: Int32, path: String) throws(FileError) {
        guard fdatasync(fd) == 0 else { throw FileError(path: path, operation: "fdatasync", code: errno) }
    }

    static func fullSync(_ fd: Int32, path: String) throws(FileError) {
        guard fsync(fd) == 0 else { throw FileError(path: path, operation: "fsync", code: errno) }
    }

    /// Makes a rename or a new file in `directory` durable.
    static func syncDirectory(_ directory: String) throws(FileError) {
        let fd = try open(directory, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fullSync(fd, path: directory)
    }

    /// The whole file.
    static func readAll(_ path: String) throws(FileError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(path: path, operation: "stat", code: errno) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress!.advanced(by: offset), buffer.count - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", code: errno)
            }
            if count == 0 { break }
            offset += count
        }
        if offset < bytes.count { bytes.removeLast(bytes.count - offset) }
        return bytes
    }

    /// Writes a file atomically: a temporary file, synced, renamed over `path`, directory synced.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(FileError) {
        let temporary = path + ".tmp"
        let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, bytes, path: temporary)
            try fullSync(fd, path: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard Glibc.rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileError(path: path, operation: "rename", code: code)
        }
        try syncDirectory(directory)
    }

    static func truncate(_ path: String, to length: Int) throws(FileError) {
        let fd = try open(path, flags: O_WRONLY)
        defer { close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw FileError(path: path, operation: "ftruncate", code: errno) }
        try fullSync(fd, path: path)
    }

    static func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func makeDirectory(_ path: String) throws(FileError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0, errno != EEXIST {
                throw FileError(path: partial, operation: "mkdir", code: errno)
            }
        }
    }

    /// The names in a directory (not `.` and `..`), sorted.
    static func list(_ directory: String) throws(FileError) -> [String] {
        guard let dir = opendir(directory) else { throw FileError(path: directory, operation: "opendir", code: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func rename(_ from: String, to: String) throws(FileError) {
        guard Glibc.rename(from, to) == 0 else { throw FileError(path: from, operation: "rename to \(to)", code: errno) }
    }

    /// Closes a descriptor. A close error after a successful sync loses nothing: it is ignored.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func remove(_ path: String) throws(FileError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw FileError(path: path, operation: "unlink", code: errno) }
    }
}

/// Big-endian integers in byte arrays.
extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> T(shift)))
        }
    }
}

extension Collection where Element == UInt8, Index == Int {
    func readBigEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var value: T = 0
        for i in 0..<(T.bitWidth / 8) { value = value << 8 | T(self[offset + i]) }
        return value
    }
}
