import CZlib

/// zlib from the system: CRC-32 for records and snapshots, deflate for snapshots and for HTTP
/// answers (gzip and deflate content codings).
public enum Zlib {
    /// The container around deflated data.
    public enum Format: Sendable {
        /// RFC 1950, what snapshots store and HTTP calls `deflate`.
        case zlib
        /// RFC 1952, HTTP's `gzip`.
        case gzip

        var windowBits: Int32 {
            switch self {
            case .zlib: 15
            case .gzip: 15 + 16
            }
        }
    }

    /// The CRC-32 (zlib's, as in gzip and PNG) of `bytes`, continuing from `initial`.
    static func crc32(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return initial }
        var crc = UInt(initial)
        var offset = 0
        // zlib takes a 32-bit length: feed large buffers in pieces.
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, base.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    static func crc32(_ bytes: some ByteStorage, initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, initial: initial) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `bytes` deflated at `level` (1 fastest … 9 smallest), in a zlib (RFC 1950) or gzip stream.
    public static func compress(_ bytes: some ByteStorage, level: Int32 = 1, format: Format = .zlib) throws(Failure) -> [UInt8] {
        let count = bytes.withUnsafeBytes { $0.count }
        guard count < Int(UInt32.max) else { throw Failure(description: "more than 4 GiB to compress") }
        var stream = z_stream()
        guard versioner_deflateInit2(&stream, level, format.windowBits) == Z_OK else { throw Failure(description: "deflateInit failed") }
        defer { deflateEnd(&stream) }
        // deflateBound allows for a zlib header; a gzip one is 12 bytes longer.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(count))) + 32)
        let status = finish(&stream, from: bytes, into: &output) { deflate(&$0, $1) }
        guard status == Z_STREAM_END else { throw Failure(description: "deflate failed (\(status))") }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// Inflates a zlib (or gzip) stream whose uncompressed size is known; any other size is an error.
    public static func decompress(_ bytes: ArraySlice<UInt8>, expectedSize: Int, format: Format = .zlib) throws(Failure) -> [UInt8] {
        guard bytes.count < Int(UInt32.max), expectedSize < Int(UInt32.max) else { throw Failure(description: "more than 4 GiB to inflate") }
        var stream = z_stream()
        guard versioner_inflateInit2(&stream, format.windowBits) == Z_OK else { throw Failure(description: "inflateInit failed") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: expectedSize)
        let status = finish(&stream, from: bytes, into: &output) { inflate(&$0, $1) }
        guard status == Z_STREAM_END, Int(stream.total_out) == expectedSize else {
            throw Failure(description: "inflate failed (\(status)) after \(stream.total_out) of \(expectedSize) bytes")
        }
        return output
    }

    /// Points `stream` at all of `input` and `output` and makes one `Z_FINISH` call (`deflate`
    /// or `inflate`), returning its status.
    private static func finish(_ stream: inout z_stream, from input: some ByteStorage, into output: inout [UInt8],
                               _ call: (inout z_stream, Int32) -> Int32) -> Int32 {
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return call(&stream, Z_FINISH)
            }
        }
    }
}

/// Byte containers with contiguous storage (arrays and their slices).
public protocol ByteStorage {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ByteStorage where Element == UInt8 {}
extension ArraySlice: ByteStorage where Element == UInt8 {}
