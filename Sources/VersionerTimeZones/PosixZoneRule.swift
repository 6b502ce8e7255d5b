/// The rule a TZif file's footer gives for instants after its last transition: a POSIX `TZ`
/// string such as `CET-1CEST,M3.5.0,M10.5.0/3` (RFC 8536 §3.3.1, with its extensions: transition
/// times from −167 to 167 hours).
struct PosixZoneRule: Sendable {
    /// Seconds east of UTC outside daylight saving time.
    let standardOffset: Int64
    let daylight: Daylight?

    struct Daylight: Sendable {
        /// Seconds east of UTC during daylight saving time.
        let offset: Int64
        let start: Transition
        let end: Transition
    }

    /// A yearly transition: a day of the year and a time on the clock then in effect.
    struct Transition: Sendable {
        let day: Day
        let secondsIntoDay: Int64
    }

    enum Day: Sendable {
        /// `Jn`: day 1…365, February 29 never counted.
        case julian(Int)
        /// `n`: day 0…365, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday `d` (0 Sunday) of week `w` (5: the last) of month `m`.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    /// Parses a footer; nil when it is not a valid POSIX TZ string.
    init?(_ text: Substring) {
        var scanner = Scanner(text)
        guard scanner.skipName(), let standard = scanner.offset(maximumHours: 24) else { return nil }
        standardOffset = -standard
        if scanner.atEnd {
            daylight = nil
            return
        }
        guard scanner.skipName() else { return nil }
        let daylightOffset: Int64
        if scanner.peek == "," || scanner.atEnd {
            daylightOffset = standardOffset + 3_600
        } else {
            guard let offset = scanner.offset(maximumHours: 24) else { return nil }
            daylightOffset = -offset
        }
        let start, end: Transition
        if scanner.atEnd {
            // POSIX leaves the default rule to the implementation; zic never omits it. The US rule.
            start = Transition(day: .monthWeekDay(month: 3, week: 2, weekday: 0), secondsIntoDay: 7_200)
            end = Transition(day: .monthWeekDay(month: 11, week: 1, weekday: 0), secondsIntoDay: 7_200)
        } else {
            guard scanner.take(","), let first = scanner.transition(), scanner.take(","),
                  let second = scanner.transition(), scanner.atEnd else { return nil }
            (start, end) = (first, second)
        }
        daylight = Daylight(offset: daylightOffset, start: start, end: end)
    }

    /// Seconds east of UTC at `instant` (seconds since 1970, UTC).
    func offset(at instant: Int64) -> Int64 {
        guard let daylight else { return standardOffset }
        let year = CivilDate.date(days: CivilDate.floorDivide(instant + standardOffset, CivilDate.secondsPerDay)).year
        // The start is given on the standard clock, the end on the daylight clock.
        let starts = daylight.start.instant(in: year) - standardOffset
        let ends = daylight.end.instant(in: year) - daylight.offset
        let inDaylight = starts < ends
            ? starts <= instant && instant < ends          // northern hemisphere
            : !(ends <= instant && instant < starts)       // southern: daylight spans the new year
        return inDaylight ? daylight.offset : standardOffset
    }
}

extension PosixZoneRule.Transition {
    /// The transition in `year`, in seconds since 1970 on the local clock it is given in.
    func instant(in year: Int64) -> Int64 {
        let newYear = CivilDate.days(year: year, month: 1, day: 1)
        let day: Int64
        switch self.day {
        case .julian(let n):
            day = newYear + Int64(n - 1) + (CivilDate.isLeapYear(year) && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            day = newYear + Int64(n)
        case .monthWeekDay(let month, let week, let weekday):
            let first = CivilDate.days(year: year, month: month, day: 1)
            var candidate = first + Int64((weekday - CivilDate.weekdayFromSunday(days: first) + 7) % 7) + Int64(week - 1) * 7
            while candidate >= first + Int64(CivilDate.daysInMonth(year: year, month: month)) { candidate -= 7 }
            day = candidate
        }
        return day * CivilDate.secondsPerDay + secondsIntoDay
    }
}

/// Reads a POSIX TZ string left to right.
private struct Scanner {
    private let characters: [Character]
    private var index = 0

    init(_ text: Substring) { characters = Array(text) }

    var atEnd: Bool { index == characters.count }
    var peek: Character? { atEnd ? nil : characters[index] }

    mutating func take(_ character: Character) -> Bool {
        guard peek == character else { return false }
        index += 1
        return true
    }

    /// A zone abbreviation: three or more letters, or `<…>` of letters, digits and signs.
    mutating func skipName() -> Bool {
        if take("<") {
            let start = index
            while let c = peek, c.isLetter || c.isNumber || c == "+" || c == "-" { index += 1 }
            return index - start >= 3 && take(">")
        }
        let start = index
        while let c = peek, c.isLetter { index += 1 }
        return index - start >= 3
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (POSIX offsets are west of UTC: the caller negates).
    mutating func offset(maximumHours: Int) -> Int64? {
        var sign: Int64 = 1
        if take("-") { sign = -1 } else { _ = take("+") }
        guard let hours = number(maximumDigits: 3), hours <= maximumHours else { return nil }
        var seconds = Int64(hours) * 3_600
        if take(":") {
            guard let minutes = number(maximumDigits: 2), minutes < 60 else { return nil }
            seconds += Int64(minutes) * 60
            if take(":") {
                guard let rest = number(maximumDigits: 2), rest < 60 else { return nil }
                seconds += Int64(rest)
            }
        }
        return sign * seconds
    }

    /// `date[/time]`, the time 02:00 when absent.
    mutating func transition() -> PosixZoneRule.Transition? {
        let day: PosixZoneRule.Day
        if take("J") {
            guard let n = number(maximumDigits: 3), (1...365).contains(n) else { return nil }
            day = .julian(n)
        } else if take("M") {
            guard let month = number(maximumDigits: 2), (1...12).contains(month), take("."),
                  let week = number(maximumDigits: 1), (1...5).contains(week), take("."),
                  let weekday = number(maximumDigits: 1), (0...6).contains(weekday) else { return nil }
            day = .monthWeekDay(month: month, week: week, weekday: weekday)
        } else {
            guard let n = number(maximumDigits: 3), (0...365).contains(n) else { return nil }
            day = .zeroBased(n)
        }
        var seconds: Int64 = 7_200
        if take("/") {
            guard let time = offset(maximumHours: 167) else { return nil }
            seconds = time
        }
        return PosixZoneRule.Transition(day: day, secondsIntoDay: seconds)
    }

    private mutating func number(maximumDigits: Int) -> Int? {
        var value = 0, digits = 0
        while let c = peek, let digit = c.wholeNumberValue, c.isASCII, digits < maximumDigits {
            value = value * 10 + digit
            digits += 1
            index += 1
        }
        return digits == 0 ? nil : value
    }
}
