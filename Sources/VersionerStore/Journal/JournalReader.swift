import VersionerCore

/// Damage found in the journal: a torn tail (a crash in the middle of a write, cut off
/// automatically) or corruption (anything else, which stops the start).
public struct JournalDamage: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// A record cut short by a crash at the very end of the last segment.
        case tornTail
        /// Bytes that do not read as records, anywhere else.
        case corruption
        /// The journal starts after the records the newest usable snapshot holds: the records in
        /// between are gone, and only a snapshot that holds them (or an older state) can help.
        case missingStart
    }

    public var kind: Kind
    /// The segment file.
    public var path: String
    /// The byte offset in that file where the first bad record starts.
    public var offset: Int
    public var reason: String

    public var description: String {
        switch kind {
        case .tornTail:
            return "torn record at the end of \(path) at byte \(offset) (\(reason))"
        case .corruption:
            return "journal corruption in \(path) at byte \(offset): \(reason)"
        case .missingStart:
            return "the journal cannot continue the state: \(reason) (\(path))"
        }
    }
}

/// One segment as read.
public struct SegmentSummary: Sendable {
    public var path: String
    public var firstSequence: UInt64
    /// The last valid record's sequence number; nil when the segment holds none.
    public var lastSequence: UInt64?
    public var records: Int
    public var bytes: Int
    /// Whether the records were read, or the segment was passed over as older than needed.
    public var wasRead: Bool
}

/// What a scan of the journal found.
public struct JournalScan: Sendable {
    public var segments: [SegmentSummary] = []
    /// The sequence number of the last valid record; nil when the journal holds none.
    public var lastSequence: UInt64?
    /// Records handed to the visitor.
    public var visited = 0
    /// A torn last record, which the scan stopped before.
    public var tornTail: JournalDamage?
}

/// Reads journal segments in order, checking every frame, checksum and sequence number.
public enum JournalReader {
    /// The segment files of a journal directory, oldest first.
    public static func segmentFiles(in directory: String) throws -> [(firstSequence: UInt64, path: String)] {
        guard PosixFile.exists(directory) else { return [] }
        return try PosixFile.list(directory).compactMap { name in
            JournalFormat.firstSequence(ofSegmentNamed: name).map { ($0, directory + "/" + name) }
        }.sorted { $0.firstSequence < $1.firstSequence }
    }

    /// Reads every record with a sequence number greater than `after`, in order, handing each to
    /// `visit`. Segments that hold only older records are not read.
    ///
    /// Throws ``JournalDamage`` (corruption) when a record is damaged anywhere but at the very end
    /// of the last segment, or when sequence numbers have a gap; a damaged end is reported in
    /// ``JournalScan/tornTail`` and the scan stops before it.
    public static func scan(directory: String, after: UInt64 = 0,
                            visit: (UInt64, Timestamp, StateChange) throws -> Void = { _, _, _ in }) throws -> JournalScan {
        let files = try segmentFiles(in: directory)
        var scan = JournalScan()
        var expected: UInt64?
        for (index, file) in files.enumerated() {
            let isLast = index == files.count - 1
            if !isLast, files[index + 1].firstSequence <= after + 1, expected == nil {
                scan.segments.append(SegmentSummary(path: file.path, firstSequence: file.firstSequence, lastSequence: nil,
                                                    records: 0, bytes: PosixFile.size(file.path) ?? 0, wasRead: false))
                continue
            }
            let bytes = try PosixFile.readAll(file.path)
            var summary = SegmentSummary(path: file.path, firstSequence: file.firstSequence, lastSequence: nil,
                                         records: 0, bytes: bytes.count, wasRead: true)
            // The sequence number the next record must have.
            var next: UInt64 = expected ?? 0
            func damage(_ offset: Int, _ reason: String, tornIfLast: Bool) -> JournalDamage {
                let torn = tornIfLast && isLast && !containsValidRecord(bytes, from: offset + 1, atLeast: next)
                return JournalDamage(kind: torn ? .tornTail : .corruption, path: file.path, offset: offset, reason: reason)
            }

            // Header.
            guard bytes.count >= JournalFormat.headerSize else {
                let problem = damage(0, "segment header is \(bytes.count) of \(JournalFormat.headerSize) bytes", tornIfLast: true)
                if problem.kind == .corruption { throw problem }
                scan.tornTail = problem
                scan.segments.append(summary)
                break
            }
            guard Array(bytes[0..<4]) == JournalFormat.magic else {
                throw JournalDamage(kind: .corruption, path: file.path, offset: 0, reason: "not a journal segment (bad magic)")
            }
            let version = bytes.readBigEndian(UInt16.self, at: 4)
            guard version == JournalFormat.version else {
                throw JournalDamage(kind: .corruption, path: file.path, offset: 4, reason: "unknown journal format version \(version)")
            }
            let headerFirst = bytes.readBigEndian(UInt64.self, at: 8)
            guard headerFirst == file.firstSequence else {
                throw JournalDamage(kind: .corruption, path: file.path, offset: 8,
                                    reason: "header says the first record is \(headerFirst), the name says \(file.firstSequence)")
            }
            if let expected, headerFirst != expected {
                throw JournalDamage(kind: .corruption, path: file.path, offset: 0,
                                    reason: "records \(expected)…\(headerFirst - 1) are missing (sequence gap between segments)")
            }
            if expected == nil, headerFirst > after + 1 {
                throw JournalDamage(kind: .missingStart, path: file.path, offset: 0,
                                    reason: "records \(after + 1)…\(headerFirst - 1) are missing (the journal starts too late)")
            }
            next = headerFirst

            // Records.
            var offset = JournalFormat.headerSize
            while offset < bytes.count {
                let remaining = bytes.count - offset
                guard remaining >= JournalFormat.frameSize else {
                    scan.tornTail = damage(offset, "record frame is \(remaining) of \(JournalFormat.frameSize) bytes", tornIfLast: true)
                    break
                }
                let length = Int(bytes.readBigEndian(UInt32.self, at: offset))
                let crc = bytes.readBigEndian(UInt32.self, at: offset + 4)
                let sequence = bytes.readBigEndian(UInt64.self, at: offset + 8)
                if length == 0 || length > JournalFormat.maximumPayload {
                    let zeros = bytes[offset...].allSatisfy { $0 == 0 }
                    scan.tornTail = damage(offset, zeros ? "zero-filled tail" : "invalid record length \(length)", tornIfLast: true)
                    break
                }
                guard length <= remaining - JournalFormat.frameSize else {
                    scan.tornTail = damage(offset, "record needs \(length) bytes, \(remaining - JournalFormat.frameSize) left", tornIfLast: true)
                    break
                }
                let payloadStart = offset + JournalFormat.frameSize
                let actual = bytes.withUnsafeBytes { buffer in
                    Zlib.crc32(UnsafeRawBufferPointer(rebasing: buffer[(offset + 8)..<(payloadStart + length)]))
                }
                guard actual == crc else {
                    scan.tornTail = damage(offset, "checksum mismatch", tornIfLast: payloadStart + length == bytes.count)
                    break
                }
                guard sequence == next else {
                    throw JournalDamage(kind: .corruption, path: file.path, offset: offset,
                                        reason: "record has sequence \(sequence), expected \(next)")
                }
                if sequence > after {
                    let (time, change): (Timestamp, StateChange)
                    do {
                        (time, change) = try JournalFormat.decodePayload(bytes, from: payloadStart, count: length)
                    } catch {
                        throw JournalDamage(kind: .corruption, path: file.path, offset: offset,
                                            reason: "record \(sequence) cannot be decoded: \(error)")
                    }
                    try visit(sequence, time, change)
                    scan.visited += 1
                }
                summary.records += 1
                summary.lastSequence = sequence
                next = sequence + 1
                offset = payloadStart + length
            }
            if let torn = scan.tornTail, torn.kind == .corruption { throw torn }
            scan.segments.append(summary)
            expected = next
            if scan.tornTail != nil { break }
        }
        if let expected, expected > 1 { scan.lastSequence = expected - 1 }
        return scan
    }

    /// Whether a valid record frame (fitting, checksum right, a plausible sequence number)
    /// starts anywhere at or after `start`: if one does, earlier damage is not a torn tail.
    static func containsValidRecord(_ bytes: [UInt8], from start: Int, atLeast minimumSequence: UInt64) -> Bool {
        var offset = max(start, JournalFormat.headerSize)
        while offset + JournalFormat.frameSize <= bytes.count {
            let length = Int(bytes.readBigEndian(UInt32.self, at: offset))
            let sequence = bytes.readBigEndian(UInt64.self, at: offset + 8)
            if length > 0, length <= bytes.count - offset - JournalFormat.frameSize, sequence >= minimumSequence,
               sequence < minimumSequence + 1 << 32 {
                let crc = bytes.readBigEndian(UInt32.self, at: offset + 4)
                let actual = bytes.withUnsafeBytes { buffer in
                    Zlib.crc32(UnsafeRawBufferPointer(rebasing: buffer[(offset + 8)..<(offset + JournalFormat.frameSize + length)]))
                }
                if actual == crc { return true }
            }
            offset += 1
        }
        return false
    }
}
