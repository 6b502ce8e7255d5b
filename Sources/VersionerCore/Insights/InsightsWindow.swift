import Foundation

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
        guard let zone = TimeZone(identifier: timeZone) else { throw .unknownTimeZone }
        guard since <= until else { throw .sinceAfterUntil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        calendar.firstWeekday = 2  // Monday
        calendar.minimumDaysInFirstWeek = 4
        let component: Calendar.Component = switch interval {
        case .day: .day
        case .week: .weekOfYear
        case .month: .month
        }
        let end = until.date
        var start = calendar.dateInterval(of: component, for: since.date)?.start ?? since.date
        var starts: [Timestamp] = []
        repeat {
            starts.append(Timestamp(start))
            guard starts.count <= Self.maximumBuckets else { throw .tooManyBuckets }
            guard let next = calendar.date(byAdding: component, value: 1, to: start), next > start else { break }
            start = next
        } while start < end
        self.since = since
        self.until = until
        self.interval = interval
        self.timeZone = timeZone  // as asked: Foundation names UTC "GMT"
        self.bucketStarts = starts
    }

    /// Whether `identifier` names a zone of the time zone database.
    public static func isKnownTimeZone(_ identifier: String) -> Bool { TimeZone(identifier: identifier) != nil }

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
    init(_ date: Date) {
        self.init(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// Hours from `self` to `later` (fractional, exact to the microsecond).
    func hours(until later: Timestamp) -> Double { Double(later.microseconds - microseconds) / 3_600_000_000 }
}

/// Medians and nearest-rank percentiles, as the insights define them.
public enum Statistics {
    /// The middle value, or the mean of the two middle ones; nil for no values.
    public static func median(sorted values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    /// The nearest-rank `percent`-th percentile: the ⌈percent·n/100⌉-th smallest (in integers,
    /// so that 0.9 × 10 is 9, not 9.000000000000002); nil for no values.
    public static func nearestRank(_ percent: Int, sorted values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let rank = max(1, (percent * values.count + 99) / 100)
        return values[min(rank, values.count) - 1]
    }
}
