import Foundation

/// Short human forms of ages, durations, sizes and times, as the tables print them.
public enum Formatting {
    /// An age like `3s`, `2m`, `5h`, `3d`; `-` when unknown.
    public static func age(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "-" }
        let s = max(0, Int(seconds.rounded(.down)))
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m"
        case ..<86_400: return "\(s / 3600)h"
        default: return "\(s / 86_400)d"
        }
    }

    /// A duration with two units at most: `45s`, `10m`, `1h 10m`, `2d 3h`.
    public static func duration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        let days = s / 86_400, hours = (s % 86_400) / 3600, minutes = (s % 3600) / 60, secs = s % 60
        if days > 0 { return hours > 0 ? "\(days)d \(hours)h" : "\(days)d" }
        if hours > 0 { return minutes > 0 ? "\(hours)h \(minutes)m" : "\(hours)h" }
        if minutes > 0 { return secs > 0 ? "\(minutes)m \(secs)s" : "\(minutes)m" }
        return "\(secs)s"
    }

    /// A size in decimal units: `512 B`, `12.3 MB`, `1.8 GB`.
    public static func bytes(_ value: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1000 && unit < units.count - 1 {
            amount /= 1000
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        return amount >= 100 ? String(format: "%.0f %@", amount, units[unit]) : String(format: "%.1f %@", amount, units[unit])
    }

    /// A percentage rounded to a whole number: `87%`; `-` when unknown.
    public static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return "\(Int(value.rounded()))%"
    }

    /// A time in UTC, ISO 8601 without fractions: `2025-05-23T03:30:00Z`.
    public static func time(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }

    /// A time with its age: `2025-05-23T03:30:00Z (3m ago)`.
    public static func timeAndAge(_ date: Date?, now: Date) -> String {
        guard let date else { return "-" }
        return "\(time(date)) (\(age(now.timeIntervalSince(date))) ago)"
    }
}

/// A plain text table: a header row and left-aligned columns separated by three spaces.
public struct TextTable: Sendable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }

    /// The rendered table, one line per row, each ending in a newline; trailing spaces trimmed.
    public func render(indent: String = "") -> String {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var out = ""
        for row in all {
            var line = indent
            for (index, cell) in row.enumerated() {
                line += cell
                if index < row.count - 1 { line += String(repeating: " ", count: widths[index] - cell.count + 3) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
