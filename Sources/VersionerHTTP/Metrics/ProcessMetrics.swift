#if canImport(Glibc)
import Glibc
#endif

/// The standard process metrics of Prometheus' client libraries, read from `/proc/self` at each
/// scrape: resident memory, CPU time, open file descriptors and start time.
///
/// They are written straight into the exposition rather than kept as instruments: each is a
/// reading of the kernel's counters, not something the server counts itself. Where `/proc` does
/// not exist, none is written.
enum ProcessMetrics {
    /// One metric: its name, type, help text and the value read now.
    struct Reading {
        var name: String
        var type: String
        var help: String
        var value: Double
    }

    /// The readings of this process, or none when `/proc/self` cannot be read.
    static func read() -> [Reading] {
        guard let stat = readText("/proc/self/stat"), let fields = statFields(stat) else { return [] }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        // Fields of proc(5), counted from 1: utime 14, stime 15, starttime 22 (ticks after boot), rss 24 (pages).
        func field(_ number: Int) -> Double { Double(fields[number - 3]) ?? 0 }
        var readings = [
            Reading(name: "process_cpu_seconds_total", type: "counter",
                    help: "Total user and system CPU time spent in seconds.", value: (field(14) + field(15)) / ticks),
            Reading(name: "process_resident_memory_bytes", type: "gauge",
                    help: "Resident memory size in bytes.", value: field(24) * pageSize),
        ]
        if let bootTime = readText("/proc/stat").flatMap(bootTime) {
            readings.append(Reading(name: "process_start_time_seconds", type: "gauge",
                                    help: "Start time of the process since unix epoch in seconds.",
                                    value: bootTime + field(22) / ticks))
        }
        if let open = countEntries("/proc/self/fd") {
            readings.append(Reading(name: "process_open_fds", type: "gauge", help: "Number of open file descriptors.",
                                    value: Double(open)))
        }
        return readings
    }

    /// Appends the readings in the Prometheus text format.
    static func write(_ readings: [Reading], into buffer: inout [UInt8]) {
        for reading in readings {
            let value = reading.value.rounded() == reading.value && abs(reading.value) < 1e15
                ? String(Int64(reading.value)) : String(reading.value)
            buffer += Array("# HELP \(reading.name) \(reading.help)\n# TYPE \(reading.name) \(reading.type)\n".utf8)
            buffer += Array("\(reading.name) \(value)\n".utf8)
        }
    }

    /// The fields of `/proc/self/stat` after the command name, which is in parentheses and may
    /// itself hold spaces and parentheses: the first field here is the third of proc(5).
    static func statFields(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count >= 22 ? fields : nil
    }

    /// The system's boot time (`btime` of `/proc/stat`), in seconds since the epoch.
    static func bootTime(_ procStat: String) -> Double? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6))
        }
        return nil
    }

    private static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    /// Entries of a directory, less `.`, `..` and the descriptor this count itself opens.
    private static func countEntries(_ path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0[0] == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        closedir(directory)
        return max(0, count - 1)
    }
}
