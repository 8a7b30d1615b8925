import FleetProtocol
import FoundationEssentials

/// Next-run computation for `JobSchedule` in local time.
///
/// - `every`: `lastRun + interval`; a job that never ran is due at once.
/// - `daily` / `weekly`: the first matching wall-clock time strictly after the last run; a job
///   that never ran waits for its first occurrence after `now`. A run missed while the node was
///   off is therefore due once at start (its occurrence lies in the past), and after that run the
///   next one is the next occurrence after it.
public enum JobScheduleCalculator {
    /// Nominal next run, or nil when the schedule is incomplete (missing interval, weekday or time).
    /// Wall-clock times are the node's local time (`LocalTime`, the zone ffmpeg names segments in)
    /// unless `calendar` gives another zone (tests). A time the spring DST gap skips runs at the
    /// first existing time after it; a time the autumn fold repeats runs at its first occurrence.
    public static func nextRun(_ schedule: JobSchedule, lastRun: Date?, now: Date, calendar: Calendar? = nil) -> Date? {
        switch schedule.kind {
        case .every:
            guard let interval = schedule.intervalSeconds, interval > 0 else { return nil }
            guard let lastRun else { return now }
            return lastRun.addingTimeInterval(Double(interval))
        case .daily, .weekly:
            guard let minute = schedule.minuteOfDay, (0..<1440).contains(minute) else { return nil }
            let weekday = schedule.kind == .weekly ? schedule.weekday : nil
            if schedule.kind == .weekly, !(1...7).contains(weekday ?? 0) { return nil }
            guard let calendar else { return localNextRun(minuteOfDay: minute, weekday: weekday, after: lastRun ?? now) }
            var match = DateComponents()
            match.hour = minute / 60
            match.minute = minute % 60
            match.second = 0
            if let weekday { match.weekday = weekday }
            return calendar.nextDate(after: lastRun ?? now, matching: match, matchingPolicy: .nextTime,
                                     repeatedTimePolicy: .first, direction: .forward)
        }
    }

    /// The first local wall time `minuteOfDay` (on `weekday`, 1 = Sunday, when given) strictly
    /// after `reference`: today's and the next days' occurrences are tried in turn.
    static func localNextRun(minuteOfDay: Int, weekday: Int?, after reference: Date) -> Date? {
        let start = LocalTime.parts(of: reference)
        let firstDay = LocalTime.days(year: start.year, month: start.month, day: start.day)
        for day in firstDay...(firstDay + 8) {
            if let weekday, LocalTime.weekday(days: day) != weekday { continue }
            let date = LocalTime.civil(days: day)
            guard let candidate = LocalTime.date(year: date.year, month: date.month, day: date.day,
                                                 hour: minuteOfDay / 60, minute: minuteOfDay % 60, second: 0,
                                                 gap: .nextExisting) else { return nil }
            if candidate > reference { return candidate }
        }
        return nil
    }

    /// Nominal period of a schedule in seconds.
    public static func period(_ schedule: JobSchedule) -> Double {
        switch schedule.kind {
        case .every: return Double(max(schedule.intervalSeconds ?? 0, 0))
        case .daily: return 86_400
        case .weekly: return 604_800
        }
    }

    /// Upper bound of the randomized start delay: min(period / 10, `cap`) (cap 300 s by default; 0 disables).
    public static func maxRandomDelay(_ schedule: JobSchedule, cap: Double) -> Double {
        max(0, min(period(schedule) / 10, cap))
    }
}
