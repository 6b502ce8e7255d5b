import Foundation
import Testing
@testable import VersionerTimeZones
import VersionerTestSupport

/// Seconds since 1970 of a UTC date and time.
private func utc(_ year: Int64, _ month: Int, _ day: Int, _ hour: Int64 = 0, _ minute: Int64 = 0, _ second: Int64 = 0) -> Int64 {
    CivilDate.days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
}

/// A version 2 TZif file: 32-bit data left empty, as zic's slim output has it, then the 64-bit data.
private func tzif(transitions: [(Int64, UInt8)], offsets: [Int32], leapSeconds: Int = 0, footer: String) -> [UInt8] {
    func be<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    func header(times: Int, types: Int, leaps: Int, characters: Int) -> [UInt8] {
        Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15)
            + [0, 0, leaps, times, types, characters].flatMap { be(Int32($0)) }
    }
    var bytes = header(times: 0, types: 1, leaps: 0, characters: 4) + be(Int32(0)) + [0, 0] + Array("UTC\0".utf8)
    bytes += header(times: transitions.count, types: offsets.count, leaps: leapSeconds, characters: 4)
    bytes += transitions.flatMap { be($0.0) } + transitions.map(\.1)
    bytes += offsets.flatMap { be($0) + [0, 0] } + Array("XYZ\0".utf8)
    bytes += (0..<leapSeconds).flatMap { be(Int64($0) * 1_000_000) + be(Int32($0 + 1)) }
    return bytes + Array("\n\(footer)\n".utf8)
}

@Suite struct TimeZoneDatabaseTests {
    let system = TimeZoneDatabase.system

    @Test func berlinChangesAtTheRightSecond() throws {
        let berlin = try #require(system.zone(named: "Europe/Berlin"))
        #expect(berlin.offset(at: utc(2026, 3, 29, 0, 59, 59)) == 3_600)
        #expect(berlin.offset(at: utc(2026, 3, 29, 1)) == 7_200)
        #expect(berlin.offset(at: utc(2026, 10, 25, 0, 59, 59)) == 7_200)
        #expect(berlin.offset(at: utc(2026, 10, 25, 1)) == 3_600)
        // Past the file's last transition (2037) the footer's rule answers.
        #expect(berlin.offset(at: utc(2101, 3, 27, 0, 59, 59)) == 3_600)
        #expect(berlin.offset(at: utc(2101, 3, 27, 1)) == 7_200)
        #expect(berlin.offset(at: utc(2101, 12, 24)) == 3_600)
        // Before standard time: local mean time, +0:53:28.
        #expect(berlin.offset(at: utc(1890, 1, 1)) == 3_208)
    }

    @Test func wallClockTimesInGapsAndOverlaps() throws {
        let berlin = try #require(system.zone(named: "Europe/Berlin"))
        let local = { (y: Int64, m: Int, d: Int, h: Int64, min: Int64) in utc(y, m, d, h, min) }
        // 02:30 on 29 March 2026 never happens: the gap ends at 03:00 CEST = 01:00 UTC.
        #expect(berlin.instant(atLocal: local(2026, 3, 29, 2, 30)) == utc(2026, 3, 29, 1, 30))
        #expect(berlin.instant(atLocal: local(2026, 3, 29, 3, 0)) == utc(2026, 3, 29, 1))
        // 02:30 on 25 October 2026 happens twice: the first is in CEST.
        #expect(berlin.instant(atLocal: local(2026, 10, 25, 2, 30)) == utc(2026, 10, 25, 0, 30))
        #expect(berlin.instant(atLocal: local(2026, 10, 25, 3, 0)) == utc(2026, 10, 25, 2))
        #expect(berlin.instant(atLocal: local(2026, 7, 1, 12, 0)) == utc(2026, 7, 1, 10))
    }

    /// Foundation carries its own copy of the database (ICU's); for zones whose rules have not
    /// changed lately the two copies must agree at every hour of the years they cover.
    @Test(arguments: ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
                      "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "Europe/Dublin",
                      "America/Sao_Paulo", "Asia/Tokyo", "UTC", "Etc/GMT+5"])
    func agreesWithFoundationsCopy(name: String) throws {
        let zone = try #require(system.zone(named: name))
        let foundation = try #require(TimeZone(identifier: name))
        var disagreements: [Int64] = []
        var instant = utc(1980, 1, 1)
        while instant < utc(2060, 1, 1) {
            if zone.offset(at: instant) != Int64(foundation.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))) {
                disagreements.append(instant)
            }
            instant += 3_600
        }
        #expect(disagreements.isEmpty, "\(name) differs at \(disagreements.prefix(3))")
    }

    /// tzdata's own index names every zone and link (`Z name …`, `L target name`): each must read.
    @Test func everyZoneAndLinkOfTheIndexReads() throws {
        let index = try String(contentsOfFile: system.directory + "/tzdata.zi", encoding: .utf8)
        let names = index.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            switch fields.first {
            case "Z": return String(fields[1])
            case "L": return String(fields[2])
            default: return nil
            }
        }
        #expect(names.count > 500)
        #expect(names.filter { system.zone(named: $0) == nil } == [])
    }

    @Test func namesThatLeaveTheDirectoryOrAreNotZones() {
        for name in ["", "../../etc/passwd", "/etc/passwd", "Europe/../Europe/Berlin", "Europe//Berlin", ".hidden",
                     "Europe/Berlin\0", "zone.tab", "tzdata.zi", "Europe", "Europe/Atlantis", "europe/berlin"] {
            #expect(system.zone(named: name) == nil, "\(name) was accepted")
        }
        #expect(system.knows("Europe/Berlin"))
        #expect(system.knows("UTC"))
        #expect(system.isInstalled)
    }

    @Test func readsAFileOfItsOwnDirectory() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let directory = URL(filePath: temporary.path)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("Test"), withIntermediateDirectories: true)
        // Standard +1 h; one transition to +2 h in 2000, and from then on the footer (+5:30, no DST).
        let file = tzif(transitions: [(utc(2000, 1, 1), 1)], offsets: [3_600, 7_200], footer: "<+0530>-5:30")
        try Data(file).write(to: directory.appendingPathComponent("Test/Zone"))
        try Data(tzif(transitions: [], offsets: [0], leapSeconds: 2, footer: "UTC0"))
            .write(to: directory.appendingPathComponent("Test/Leaps"))
        try Data(file.prefix(60)).write(to: directory.appendingPathComponent("Test/Truncated"))

        let database = TimeZoneDatabase(directory: directory.path)
        let zone = try #require(database.zone(named: "Test/Zone"))
        #expect(zone.offset(at: utc(1999, 12, 31, 23, 59, 59)) == 3_600)
        #expect(zone.offset(at: utc(2000, 1, 1)) == 19_800)
        #expect(zone.offset(at: utc(2050, 6, 1)) == 19_800)
        #expect(database.zone(named: "Test/Leaps") == nil)
        #expect(!database.isInstalled)
        #expect(database.zone(named: "UTC")?.offset(at: utc(2026, 7, 1)) == 0)  // even without the files
        #expect(database.zone(named: "Europe/Berlin") == nil)
        #expect(database.zone(named: "Test/Truncated") == nil)
        #expect(throws: Zone.ParseError.leapSeconds) {
            try Zone(identifier: "x", tzif: tzif(transitions: [], offsets: [0], leapSeconds: 1, footer: "UTC0"))
        }
        #expect(throws: Zone.ParseError.notTZif) { try Zone(identifier: "x", tzif: Array("not a zone file".utf8)) }
        #expect(throws: Zone.ParseError.inconsistent("transitions out of order")) {
            try Zone(identifier: "x", tzif: tzif(transitions: [(10, 0), (5, 0)], offsets: [0], footer: ""))
        }
        #expect(throws: Zone.ParseError.inconsistent("unknown local time type")) {
            try Zone(identifier: "x", tzif: tzif(transitions: [(10, 3)], offsets: [0], footer: ""))
        }
        #expect(throws: Zone.ParseError.inconsistent("footer is not a POSIX TZ string")) {
            try Zone(identifier: "x", tzif: tzif(transitions: [], offsets: [0], footer: "CET-1CEST,M3.5.0"))
        }
    }
}

@Suite struct PosixZoneRuleTests {
    private func rule(_ text: String) throws -> PosixZoneRule { try #require(PosixZoneRule(Substring(text))) }

    @Test func standardTimeOnly() throws {
        #expect(try rule("<+0530>-5:30").offset(at: 0) == 19_800)
        #expect(try rule("EST5").offset(at: 0) == -18_000)
        #expect(try rule("<-0245>2:45").offset(at: 0) == -9_900)
        #expect(try rule("UTC0").daylight == nil)
    }

    @Test func northernAndSouthernDaylightTime() throws {
        let newYork = try rule("EST5EDT,M3.2.0,M11.1.0")
        #expect(newYork.offset(at: utc(2030, 3, 10, 6, 59, 59)) == -18_000)  // 01:59:59 EST
        #expect(newYork.offset(at: utc(2030, 3, 10, 7)) == -14_400)
        #expect(newYork.offset(at: utc(2030, 11, 3, 5, 59, 59)) == -14_400)  // 01:59:59 EDT
        #expect(newYork.offset(at: utc(2030, 11, 3, 6)) == -18_000)

        let sydney = try rule("AEST-10AEDT,M10.1.0,M4.1.0/3")
        #expect(sydney.offset(at: utc(2030, 1, 15)) == 39_600)
        #expect(sydney.offset(at: utc(2030, 4, 6, 15, 59, 59)) == 39_600)    // 02:59:59 AEDT on 7 April
        #expect(sydney.offset(at: utc(2030, 4, 6, 16)) == 36_000)
        #expect(sydney.offset(at: utc(2030, 10, 5, 15, 59, 59)) == 36_000)   // 01:59:59 AEST on 6 October
        #expect(sydney.offset(at: utc(2030, 10, 5, 16)) == 39_600)
    }

    @Test func extensionsOfRFC8536() throws {
        // A negative transition time (America/Nuuk): "-1" on the last Sunday of March is 23:00 on the Saturday.
        let nuuk = try rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0")
        #expect(nuuk.offset(at: utc(2030, 3, 31, 0, 59, 59)) == -7_200)
        #expect(nuuk.offset(at: utc(2030, 3, 31, 1)) == -3_600)
        // Negative daylight saving time (Europe/Dublin): winter is the "daylight" offset.
        let dublin = try rule("IST-1GMT0,M10.5.0,M3.5.0/1")
        #expect(dublin.offset(at: utc(2030, 1, 15)) == 0)
        #expect(dublin.offset(at: utc(2030, 7, 15)) == 3_600)
        // Daylight time all year: from day 0 at 00:00 to day 365 at 25:00.
        let always = try rule("EST5EDT,0/0,J365/25")
        for month in 1...12 { #expect(always.offset(at: utc(2031, month, 28)) == -14_400) }
        // Julian days never count February 29: J60 is March 1, even in a leap year.
        let julian = try rule("AAA0BBB,J60/0,J300/0")
        #expect(julian.offset(at: utc(2032, 2, 29, 23, 59, 59)) == 0)
        #expect(julian.offset(at: utc(2032, 3, 1)) == 3_600)
    }

    @Test func refusesWhatIsNotATZString() {
        for text in ["", "E5", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
                     "CET-1CEST,J0,J365", "CET-25", "CET-1CEST,M3.5.0/168,M10.5.0", "<+05-5", "CET-1:60"] {
            #expect(PosixZoneRule(Substring(text)) == nil, "\(text) was accepted")
        }
    }
}

@Suite struct CivilDateTests {
    @Test func knownDates() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilDate.days(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilDate.weekdayFromSunday(days: CivilDate.days(year: 2026, month: 12, day: 1)) == 2)  // a Tuesday
        #expect(CivilDate.weekdayFromSunday(days: -1) == 3)  // 1969-12-31, a Wednesday
    }

    @Test func roundTripsEveryDayOfFourCenturies() {
        var previous = CivilDate.date(days: -146_097 - 1)
        for day in Int64(-146_097)...146_097 {
            let date = CivilDate.date(days: day)
            #expect(CivilDate.days(year: date.year, month: date.month, day: date.day) == day)
            // Each day follows the one before it on the calendar.
            let follows = date.day == previous.day + 1
                || (date.day == 1 && previous.day == CivilDate.daysInMonth(year: previous.year, month: previous.month))
            if !follows { Issue.record("\(previous) is followed by \(date)") }
            previous = date
        }
    }

    @Test func floorDivisionRoundsDown() {
        #expect(CivilDate.floorDivide(-1, 86_400) == -1)
        #expect(CivilDate.floorDivide(-86_400, 86_400) == -1)
        #expect(CivilDate.floorDivide(86_399, 86_400) == 0)
        #expect(CivilDate.floorModulo(-1, 7) == 6)
    }
}
