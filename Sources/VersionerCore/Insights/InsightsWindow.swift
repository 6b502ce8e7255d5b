import Foundation
import VersionerTimeZones

/// The length of the buckets an insights answer is cut into.
public enum BucketInterval: String, CaseIterable, Sendable {
    case day, week, month
}

/// The time window of an insights query, cut into calendar buckets of a time zone.
///
/// Buckets follow the zone's calendar (a day across a DST change is 23 or 25 hours; weeks start
/// on Monday), so the first starts at or before `since`; together they cover [since, until).
public struct InsightsWindow: Hashable, Sendable {
    public let since: Timestamp
    public let until: Timestamp
    public let interval: BucketInterval
    /// The IANA zone the buckets' boundaries are in.
    public let timeZone: String
    /// Each bucket's start, ascending.
    public let bucketStarts: [Timestamp]

    /// At most this many buckets: three years of days.
    public static let maximumBuckets = 1_100

    public enum Problem: Error, Hashable, Sendable {
        case unknownTimeZone
        case sinceAfterUntil
        case tooManyBuckets
    }

    public init(since: Timestamp, until: Timestamp, interval: BucketInterval, timeZone: String) throws(Problem) {
        guard let zone = TimeZoneDatabase.system.zone(named: timeZone) else { throw .unknownTimeZone }
        guard since <= until else { throw .sinceAfterUntil }
        // Walk the zone's calendar in local days, turning each bucket's first local midnight
        // into its instant (a midnight skipped by a DST change: the moment the day begins).
        let sinceSecond = CivilDate.floorDivide(since.microseconds, 1_000_000)
        let firstDay = CivilDate.floorDivide(sinceSecond + zone.offset(at: sinceSecond), CivilDate.secondsPerDay)
        var day = Self.bucketStart(containing: firstDay, interval)
        func midnight(_ day: Int64) -> Timestamp {
            Timestamp(microseconds: zone.instant(atLocal: day * CivilDate.secondsPerDay) * 1_000_000)
        }
        var start = midnight(day)
        var starts: [Timestamp] = []
        repeat {
            starts.append(start)
            guard starts.count <= Self.maximumBuckets else { throw .tooManyBuckets }
            day = Self.bucketStart(after: day, interval)
            let next = midnight(day)
            guard next > start else { break }
            start = next
        } while start < until
        self.since = since
        self.until = until
        self.interval = interval
        self.timeZone = timeZone
        self.bucketStarts = starts
    }

    /// The first local day (days since 1970 on the zone's clock) of the bucket holding `day`:
    /// the day itself, its week's Monday, or its month's first.
    private static func bucketStart(containing day: Int64, _ interval: BucketInterval) -> Int64 {
        switch interval {
        case .day: return day
        case .week: return day - CivilDate.floorModulo(day + 3, 7)  // 1970-01-01 was a Thursday
        case .month:
            let date = CivilDate.date(days: day)
            return CivilDate.days(year: date.year, month: date.month, day: 1)
        }
    }

    /// The first local day of the bucket after the one starting on `day`.
    private static func bucketStart(after day: Int64, _ interval: BucketInterval) -> Int64 {
        switch interval {
        case .day: return day + 1
        case .week: return day + 7
        case .month:
            let date = CivilDate.date(days: day)
            return date.month == 12
                ? CivilDate.days(year: date.year + 1, month: 1, day: 1)
                : CivilDate.days(year: date.year, month: date.month + 1, day: 1)
        }
    }

    /// Whether `identifier` names a zone of the system's time zone database.
    public static func isKnownTimeZone(_ identifier: String) -> Bool { TimeZoneDatabase.system.knows(identifier) }

    /// The window's length in days.
    public var days: Double { Double(until.microseconds - since.microseconds) / 86_400_000_000 }

    /// Whether `time` is inside [since, until).
    public func contains(_ time: Timestamp) -> Bool { since <= time && time < until }

    /// The bucket `time` falls in, or nil when it is outside the window.
    public func bucket(of time: Timestamp) -> Int? {
        guard contains(time) else { return nil }
        var low = 0, high = bucketStarts.count
        while low < high {
            let middle = (low + high) / 2
            if bucketStarts[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }
}

extension Timestamp {
    /// Hours from `self` to `later` (fractional, exact to the microsecond).
    func hours(until later: Timestamp) -> Double { Double(later.microseconds - microseconds) / 3_600_000_000 }
}

/// Medians and nearest-rank percentiles, as the insights define them, by selection (linear
/// time: an answer can pool hundreds of thousands of samples, and sorting them costs more than
/// everything else it does).
public enum Statistics {
    /// The middle value, or the mean of the two middle ones; nil for no values.
    public static func median(of values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        var values = values
        let middle = values.count / 2
        let upper = select(middle, in: &values)
        guard values.count % 2 == 0 else { return upper }
        // After selection every value before `middle` is at most `upper`: the lower middle is their largest.
        return (values[..<middle].max()! + upper) / 2
    }

    /// The nearest-rank `percent`-th percentile: the ⌈percent·n/100⌉-th smallest (in integers,
    /// so that 0.9 × 10 is 9, not 9.000000000000002); nil for no values.
    public static func nearestRank(_ percent: Int, of values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        var values = values
        let rank = max(1, (percent * values.count + 99) / 100)
        return select(min(rank, values.count) - 1, in: &values)
    }

    /// The `k`-th smallest of `values` (from 0), leaving smaller ones before it (Hoare's selection).
    static func select(_ k: Int, in values: inout [Double]) -> Double {
        var low = 0, high = values.count - 1
        while low < high {
            let (a, b, c) = (values[low], values[(low + high) / 2], values[high])
            let pivot = max(min(a, b), min(max(a, b), c))  // the median of three
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return values[k]
            }
        }
        return values[k]
    }
}
