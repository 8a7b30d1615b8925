import FleetProtocol
import Foundation

/// Next-run computation for `JobSchedule` in local time.
///
/// - `every`: `lastRun + interval`; a job that never ran is due at once.
/// - `daily` / `weekly`: the first matching wall-clock time strictly after the last run; a job
///   that never ran waits for its first occurrence after `now`. A run missed while the node was
///   off is therefore due once at start (its occurrence lies in the past), and after that run the
///   next one is the next occurrence after it.
public enum JobScheduleCalculator {
    /// Nominal next run, or nil when the schedule is incomplete (missing interval, weekday or time).
    public static func nextRun(_ schedule: JobSchedule, lastRun: Date?, now: Date, calendar: Calendar = .current) -> Date? {
        switch schedule.kind {
        case .every:
            guard let interval = schedule.intervalSeconds, interval > 0 else { return nil }
            guard let lastRun else { return now }
            return lastRun.addingTimeInterval(Double(interval))
        case .daily, .weekly:
            guard let minute = schedule.minuteOfDay, (0..<1440).contains(minute) else { return nil }
            var match = DateComponents()
            match.hour = minute / 60
            match.minute = minute % 60
            match.second = 0
            if schedule.kind == .weekly {
                guard let weekday = schedule.weekday, (1...7).contains(weekday) else { return nil }
                match.weekday = weekday
            }
            return calendar.nextDate(after: lastRun ?? now, matching: match, matchingPolicy: .nextTime,
                                     repeatedTimePolicy: .first, direction: .forward)
        }
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
