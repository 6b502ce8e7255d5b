import VersionerTimeZones

/// Where a schedule rule's windows fall in time, in the rule's zone.
///
/// A window is a span of wall-clock time; whether an instant lies in one is decided on the
/// zone's wall clock at that instant, so a window follows the zone's DST changes (a window
/// from 01:00 to 04:00 on the night clocks go forward lasts two hours). Only the bounds of an
/// open window are turned back into instants, when a block names them.
struct ScheduleClock {
    private let zone: Zone
    private let windows: [RuleWindow]

    private static let day: Int64 = 86_400
    /// Windows that touch each other chain into one block of time; a chain longer than this
    /// (a schedule that never opens) is reported up to where the search stopped.
    private static let longestChain = 32

    init?(_ schedule: ScheduleRule) {
        guard let zone = schedule.zone else { return nil }
        self.zone = zone
        self.windows = schedule.windows
    }

    /// The block of time containing `instant` (chained windows merged), or nil when no window is open.
    func block(at instant: Timestamp) -> (start: Timestamp, end: Timestamp)? {
        guard let first = open(at: instant) else { return nil }
        var end = first.end
        for _ in 0..<Self.longestChain {
            guard let next = open(at: end), next.end > end else { break }
            end = next.end
        }
        var start = first.start
        for _ in 0..<Self.longestChain {
            guard let previous = open(at: Timestamp(microseconds: start.microseconds - 1)), previous.start < start else { break }
            start = previous.start
        }
        return (start, end)
    }

    /// One open window at `instant`, with its bounds.
    private func open(at instant: Timestamp) -> (start: Timestamp, end: Timestamp)? {
        let seconds = CivilDate.floorDivide(instant.microseconds, 1_000_000)
        var local: Int64?
        for window in windows {
            switch window {
            case .oneOff(let from, let to):
                if from <= instant, instant < to { return (from, to) }
            case .weekly(let days, let start, let end):
                if local == nil { local = seconds + zone.offset(at: seconds) }
                let local = local!
                let today = CivilDate.floorDivide(local, Self.day)
                // An instance that began today or (running past midnight) yesterday.
                for day in [today, today - 1] {
                    guard days.isEmpty || days.contains(Self.weekday(ofDay: day)) else { continue }
                    let opens = day * Self.day + Int64(start) * 60
                    let closes = (end <= start ? day + 1 : day) * Self.day + Int64(end) * 60
                    if opens <= local, local < closes {
                        return (moment(atLocal: opens), moment(atLocal: closes))
                    }
                }
            }
        }
        return nil
    }

    /// The instant the zone's wall clock shows `local`: a time shown twice is its first, a time
    /// never shown (clocks going forward) is the end of the gap.
    private func moment(atLocal local: Int64) -> Timestamp {
        Timestamp(microseconds: zone.instant(atLocal: local) * 1_000_000)
    }

    /// 1970-01-01 was a Thursday.
    private static func weekday(ofDay day: Int64) -> Weekday {
        Weekday(rawValue: Int(CivilDate.floorModulo(day + 3, 7)))!
    }
}
