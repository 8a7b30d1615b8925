import FleetProtocol
import FoundationEssentials
import Glibc

/// The node's local wall clock, from the C library (`localtime_r`, `tzset`).
///
/// ffmpeg names segments with `strftime` on `localtime_r`, so the agent must read those names,
/// expand `{yyyy}/{mm}/{dd}`, stamp backups and place daily/weekly jobs in exactly the same
/// local time: `TZ` when set, else `/etc/localtime`. Foundation's `Calendar.current` and
/// `TimeZone.current` cannot do this in the agent: it links only FoundationEssentials, without
/// ICU, where the current zone is GMT and `TimeZone(identifier:)` is nil.
///
/// Wall-clock → instant does not use `mktime` alone: which instant it picks for an hour the
/// autumn fold repeats is unspecified with `tm_isdst = -1`. Instead every UTC offset in force
/// within a day of the wall time is tried, and the earliest instant whose local time is the
/// wall time wins. A wall time in the spring gap has no instant; `GapPolicy` says what to do.
///
/// ```swift
/// let now = LocalTime.parts(of: Date())          // 2026-03-29 03:10:00 +0200, weekday 1 (Sunday)
/// LocalTime.date(year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0)  // the first 02:30 (CEST)
/// ```
public enum LocalTime {
    /// A local date and time of day as `localtime_r` reports it.
    public struct Parts: Sendable, Equatable, CustomStringConvertible {
        public var year: Int
        /// 1 … 12.
        public var month: Int
        /// 1 … 31.
        public var day: Int
        public var hour: Int
        public var minute: Int
        public var second: Int
        /// 1 = Sunday … 7 = Saturday (Calendar's numbering, as `JobSchedule.weekday`).
        public var weekday: Int
        /// Seconds east of UTC in force at the instant.
        public var utcOffsetSeconds: Int

        /// `YYYYMMDDTHHMMSS`, as ffmpeg's `%Y%m%dT%H%M%S` writes it (segment names, backup stamps).
        public var compactStamp: String {
            NumberText.zeroPadded(year, width: 4) + NumberText.zeroPadded(month, width: 2)
                + NumberText.zeroPadded(day, width: 2) + "T" + NumberText.zeroPadded(hour, width: 2)
                + NumberText.zeroPadded(minute, width: 2) + NumberText.zeroPadded(second, width: 2)
        }

        public var description: String { compactStamp + " (UTC\(utcOffsetSeconds >= 0 ? "+" : "")\(utcOffsetSeconds) s)" }
    }

    /// What `date(…)` returns for a wall time the spring-forward gap skips (02:30 when clocks
    /// jump from 02:00 to 03:00).
    public enum GapPolicy: Sendable {
        /// The wall time read with the offset before the jump (02:30 → 03:30), as Foundation's
        /// `Calendar.date(from:)` does: for names and stamps, which never fall in a gap anyway.
        case shiftForward
        /// The first existing time after it, the jump itself (02:30 → 03:00), as
        /// `Calendar.nextDate(…, matchingPolicy: .nextTime)`: for schedules.
        case nextExisting
    }

    /// The local wall-clock parts of `date` (its whole second).
    public static func parts(of date: Date) -> Parts {
        parts(ofSecond: second(of: date))
    }

    /// The instant of a local wall time; out-of-range fields roll over (month 13 is January of
    /// the next year, day 32 the next month's first) as `Calendar.date(from:)` does. During the
    /// autumn fold the earlier of the two instants is returned.
    public static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
                            gap: GapPolicy = .shiftForward) -> Date? {
        let wall = wallSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard abs(wall) < 1 << 50 else { return nil }
        return Date(timeIntervalSince1970: Double(instant(ofWall: wall, gap: gap)))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date; month and day may be out of range.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let monthIndex = month - 1
        let y = year + floorDiv(monthIndex, 12)
        let m = monthIndex - floorDiv(monthIndex, 12) * 12 + 1
        // Howard Hinnant's days_from_civil, for a year starting in March.
        let shifted = m <= 2 ? y - 1 : y
        let era = floorDiv(shifted, 400)
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (inverse of `days`).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 1 = Sunday … 7 = Saturday for a day count since 1970-01-01 (a Thursday).
    static func weekday(days: Int) -> Int {
        (days + 4 - floorDiv(days + 4, 7) * 7) + 1
    }

    // MARK: - C library

    /// `tzset()` once, before the first conversion: `localtime_r` need not read `TZ` itself.
    private static let zoneLoaded: Bool = {
        tzset()
        return true
    }()

    private static func second(of date: Date) -> Int {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return seconds.isFinite && abs(seconds) < 0x1p50 ? Int(seconds) : 0
    }

    private static func parts(ofSecond second: Int) -> Parts {
        _ = zoneLoaded
        var time = time_t(second)
        var broken = tm()
        if localtime_r(&time, &broken) != nil {
            return Parts(year: Int(broken.tm_year) + 1900, month: Int(broken.tm_mon) + 1, day: Int(broken.tm_mday),
                         hour: Int(broken.tm_hour), minute: Int(broken.tm_min), second: Int(broken.tm_sec),
                         weekday: Int(broken.tm_wday) + 1, utcOffsetSeconds: Int(broken.tm_gmtoff))
        }
        // Beyond the C library's range: UTC arithmetic rather than a crash.
        let dayCount = floorDiv(second, 86_400)
        let date = civil(days: dayCount)
        let inDay = second - dayCount * 86_400
        return Parts(year: date.year, month: date.month, day: date.day, hour: inDay / 3600, minute: inDay / 60 % 60,
                     second: inDay % 60, weekday: weekday(days: dayCount), utcOffsetSeconds: 0)
    }

    /// Local wall time of an instant, as seconds on a UTC-like scale (instant + offset).
    private static func wall(atSecond second: Int) -> Int {
        second + parts(ofSecond: second).utcOffsetSeconds
    }

    private static func wallSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static func instant(ofWall wall: Int, gap: GapPolicy) -> Int {
        // Offsets lie within ±15 h; sampling a day either side sees both sides of any transition near `wall`.
        let offsets = Set([-86_400, -43_200, 0, 43_200, 86_400].map { parts(ofSecond: wall + $0).utcOffsetSeconds })
        let matches = offsets.map { wall - $0 }.filter { self.wall(atSecond: $0) == wall }
        if let earliest = matches.min() { return earliest }
        // In a gap: the jump is the first instant whose wall time is past `wall`.
        var low = wall - 15 * 3600, high = wall + 15 * 3600
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if self.wall(atSecond: middle) >= wall { high = middle } else { low = middle }
        }
        switch gap {
        case .nextExisting: return high
        case .shiftForward: return wall - parts(ofSecond: high - 1).utcOffsetSeconds
        }
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
