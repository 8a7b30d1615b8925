import Foundation

/// A named entry of `alerts.timeIntervals`, as Alertmanager's `time_intervals`: it contains a
/// moment when **any** of its periods does.
///
/// ```swift
/// let night = AlertTimeInterval(periods: [AlertTimePeriod(times: [.init(start: 0, end: 420)])])
/// night.contains(Date())   // true between 00:00 and 07:00 UTC
/// ```
public struct AlertTimeInterval: Codable, Sendable, Equatable, Hashable {
    public var periods: [AlertTimePeriod]

    public init(periods: [AlertTimePeriod]) {
        self.periods = periods
    }

    /// True when one of the periods contains `date`.
    public func contains(_ date: Date) -> Bool {
        periods.contains { $0.contains(date) }
    }
}

/// One period of a time interval (Alertmanager's `TimeInterval`): it contains a moment when
/// **every** field that is set contains it; a nil field matches everything. Fields are read in
/// `location` (UTC when nil).
public struct AlertTimePeriod: Codable, Sendable, Equatable, Hashable {
    /// Minutes of the day, `start` included and `end` excluded (`end` may be 1440, i.e. 24:00).
    public struct MinuteRange: Codable, Sendable, Equatable, Hashable {
        public var start: Int
        public var end: Int

        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
    }

    /// An inclusive range: weekdays 0 (Sunday)…6, days of the month 1…31 or -31…-1 (from the
    /// end, -1 is the last day), months 1…12, years.
    public struct Range: Codable, Sendable, Equatable, Hashable {
        public var begin: Int
        public var end: Int

        public init(_ begin: Int, _ end: Int) {
            self.begin = begin
            self.end = end
        }
    }

    public var times: [MinuteRange]?
    public var weekdays: [Range]?
    public var daysOfMonth: [Range]?
    public var months: [Range]?
    public var years: [Range]?
    /// A time zone identifier (`Europe/Amsterdam`); nil means UTC.
    public var location: String?

    public init(times: [MinuteRange]? = nil, weekdays: [Range]? = nil, daysOfMonth: [Range]? = nil,
                months: [Range]? = nil, years: [Range]? = nil, location: String? = nil) {
        self.times = times
        self.weekdays = weekdays
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.years = years
        self.location = location
    }

    /// Alertmanager's `ContainsTime`.
    public func contains(_ date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = location.flatMap(TimeZone.init(identifier:)) ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day, let hour = parts.hour,
              let minute = parts.minute, let weekday = parts.weekday else { return false }
        if let times {
            let minuteOfDay = hour * 60 + minute
            guard times.contains(where: { minuteOfDay >= $0.start && minuteOfDay < $0.end }) else { return false }
        }
        if let daysOfMonth {
            let length = calendar.range(of: .day, in: .month, for: date)?.count ?? 31
            guard daysOfMonth.contains(where: { Self.dayRange($0, contains: day, monthLength: length) }) else { return false }
        }
        if let months, !months.contains(where: { month >= $0.begin && month <= $0.end }) { return false }
        // Calendar counts Sunday as 1; Alertmanager as 0.
        if let weekdays, !weekdays.contains(where: { weekday - 1 >= $0.begin && weekday - 1 <= $0.end }) { return false }
        if let years, !years.contains(where: { year >= $0.begin && year <= $0.end }) { return false }
        return true
    }

    /// Negative days count from the end of the month; a range that starts after the month's
    /// last day matches nothing, and its end is clamped to the month (as Alertmanager).
    static func dayRange(_ range: Range, contains day: Int, monthLength: Int) -> Bool {
        let begin = range.begin < 0 ? monthLength + range.begin + 1 : range.begin
        let end = range.end < 0 ? monthLength + range.end + 1 : range.end
        guard begin <= monthLength else { return false }
        let clampedBegin = min(max(begin, -monthLength), monthLength)
        let clampedEnd = min(max(end, -monthLength), monthLength)
        return day >= clampedBegin && day <= clampedEnd
    }
}

extension RouteOptions {
    /// As Alertmanager's time mute and time active stages: true when `now` is inside one of
    /// the route's mute intervals, or outside all of its active intervals (when it has any).
    /// A name missing from `intervals` never mutes and is never active.
    public func isMuted(at now: Date, intervals: [String: AlertTimeInterval]) -> Bool {
        if muteTimeIntervals.contains(where: { intervals[$0]?.contains(now) ?? false }) { return true }
        guard !activeTimeIntervals.isEmpty else { return false }
        return !activeTimeIntervals.contains { intervals[$0]?.contains(now) ?? false }
    }
}
