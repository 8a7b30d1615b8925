import Foundation

/// A value of `alerts.timeIntervals` that does not parse; `message` says why, for a positioned diagnostic.
public struct TimeIntervalSyntaxError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The text forms of a time interval's fields, with Alertmanager's rules (`timeinterval.go`):
/// times `HH:MM` (00:00–23:59, or 24:00 as an end), names or numbers separated by `:` for
/// inclusive ranges, names case-insensitive.
public enum TimeIntervalSyntax {
    static let weekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    static let monthNames = ["january", "february", "march", "april", "may", "june", "july", "august",
                             "september", "october", "november", "december"]

    /// `HH:MM` as minutes since midnight; `24:00` is 1440.
    public static func minute(_ text: String) -> Result<Int, TimeIntervalSyntaxError> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let hours = Int(parts[0]), let minutes = Int(parts[1]),
              parts[0].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isASCII),
              (0...23).contains(hours) && (0...59).contains(minutes) || (hours == 24 && minutes == 0) else {
            return .failure(TimeIntervalSyntaxError(message: "bad time '\(text)': use HH:MM from 00:00 to 24:00"))
        }
        return .success(hours * 60 + minutes)
    }

    /// `{start, end}` as a range of minutes, start before end.
    public static func times(start: String, end: String) -> Result<AlertTimePeriod.MinuteRange, TimeIntervalSyntaxError> {
        minute(start).flatMap { first in
            minute(end).flatMap { last in
                guard first < last else {
                    return .failure(TimeIntervalSyntaxError(message: "start time \(start) must be before end time \(end)"))
                }
                return .success(AlertTimePeriod.MinuteRange(start: first, end: last))
            }
        }
    }

    /// `monday` or `monday:friday` (0 = Sunday); a range must not end before it starts.
    public static func weekdays(_ text: String) -> Result<AlertTimePeriod.Range, TimeIntervalSyntaxError> {
        range(text, what: "weekday") { weekdayNames.firstIndex(of: $0) }.flatMap { range in
            guard range.begin <= range.end else {
                return .failure(TimeIntervalSyntaxError(
                    message: "weekday range '\(text)' ends before it starts (weeks run sunday to saturday): split it in two"))
            }
            return .success(range)
        }
    }

    /// `january`, `1`, `january:march` or `10:12`.
    public static func months(_ text: String) -> Result<AlertTimePeriod.Range, TimeIntervalSyntaxError> {
        range(text, what: "month") { name in
            if let index = monthNames.firstIndex(of: name) { return index + 1 }
            guard let number = Int(name), (1...12).contains(number) else { return nil }
            return number
        }.flatMap { range in
            guard range.begin <= range.end else {
                return .failure(TimeIntervalSyntaxError(message: "month range '\(text)' ends before it starts: split it in two"))
            }
            return .success(range)
        }
    }

    /// `1`, `1:5`, `-1` (the last day) or `-7:-1`: days 1…31 or -31…-1, never 0; a negative
    /// start needs a negative end, and the range must be possible in a 28-day month.
    public static func daysOfMonth(_ text: String) -> Result<AlertTimePeriod.Range, TimeIntervalSyntaxError> {
        range(text, what: "day of the month") { name in
            guard let day = Int(name), day != 0, (-31...31).contains(day) else { return nil }
            return day
        }.flatMap { range in
            if range.begin < 0 && range.end > 0 {
                return .failure(TimeIntervalSyntaxError(
                    message: "day range '\(text)' starts counting from the end of the month, so it must end that way too (a negative end)"))
            }
            let begin = range.begin < 0 ? 28 + range.begin : range.begin
            let end = range.end < 0 ? 28 + range.end : range.end
            guard begin <= end else {
                return .failure(TimeIntervalSyntaxError(message: "day range '\(text)' always ends before it starts"))
            }
            return .success(range)
        }
    }

    /// `2026` or `2026:2027`.
    public static func years(_ text: String) -> Result<AlertTimePeriod.Range, TimeIntervalSyntaxError> {
        range(text, what: "year") { name in
            guard let year = Int(name), (1...9999).contains(year) else { return nil }
            return year
        }.flatMap { range in
            guard range.begin <= range.end else {
                return .failure(TimeIntervalSyntaxError(message: "year range '\(text)' ends before it starts"))
            }
            return .success(range)
        }
    }

    /// A time zone known to this system (`Europe/Amsterdam`, `UTC`).
    public static func location(_ text: String) -> Result<String, TimeIntervalSyntaxError> {
        guard TimeZone(identifier: text) != nil else {
            return .failure(TimeIntervalSyntaxError(
                message: "unknown time zone '\(text)': use an IANA name such as Europe/Amsterdam or UTC"))
        }
        return .success(text)
    }

    /// `A` or `A:B`, each side read by `member` (given lower-cased).
    private static func range(_ text: String, what: String,
                              member: (String) -> Int?) -> Result<AlertTimePeriod.Range, TimeIntervalSyntaxError> {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else {
            return .failure(TimeIntervalSyntaxError(message: "bad \(what) range '\(text)': use A or A:B"))
        }
        var values: [Int] = []
        for part in parts {
            guard let value = member(part) else {
                return .failure(TimeIntervalSyntaxError(message: "bad \(what) '\(part)' in '\(text)'"))
            }
            values.append(value)
        }
        return .success(AlertTimePeriod.Range(values[0], values[values.count - 1]))
    }
}
