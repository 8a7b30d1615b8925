import ArgumentParser
import FleetProtocol
import Foundation

/// A `--from`/`--to` value: an absolute time or an offset from now.
///
/// Accepted forms:
/// - ISO 8601 with a zone: `2025-05-23T03:30:00Z`, `2025-05-23T05:30:00+02:00`
/// - local time: `2025-05-23T03:30:00`, `2025-05-23 03:30`, `2025-05-23`
/// - the field notes' compact form (local time): `20250523T033000`, or with `Z` for UTC
/// - relative to now: `-24h`, `-7d`, `-30m`, `-90s`, `now`
public enum TimeArgument: Sendable, Equatable, ExpressibleByArgument, CustomStringConvertible {
    case absolute(Date)
    /// Seconds relative to now (negative = in the past).
    case relative(TimeInterval)

    public init?(argument: String) {
        guard let value = try? TimeArgument.parse(argument, timeZone: .current) else { return nil }
        self = value
    }

    public static var defaultCompletionKind: CompletionKind { .default }

    public var description: String {
        switch self {
        case .absolute(let date): return Formatting.time(date)
        case .relative(let seconds): return "\(Int(seconds))s"
        }
    }

    /// The time this argument names, given the current time.
    public func resolve(now: Date) -> Date {
        switch self {
        case .absolute(let date): return date
        case .relative(let seconds): return now.addingTimeInterval(seconds)
        }
    }

    /// Errors carry the text that could not be read.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var text: String
        public var description: String {
            "cannot read time \"\(text)\": use 2025-05-23T03:30:00Z, 20250523T033000 (local) or -24h"
        }
    }

    /// Parses `text`; local-time forms are read in `timeZone`.
    public static func parse(_ text: String, timeZone: TimeZone) throws -> TimeArgument {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "now" { return .relative(0) }
        if let seconds = relativeSeconds(trimmed) { return .relative(seconds) }
        if let date = WireCoding.parseDate(trimmed) { return .absolute(date) }
        if let date = localDate(trimmed, timeZone: timeZone) { return .absolute(date) }
        throw ParseError(text: text)
    }

    /// `-24h`, `+30m`, `-7d`, `-90s`, `-2w` → seconds.
    static func relativeSeconds(_ text: String) -> TimeInterval? {
        guard let sign = text.first, sign == "-" || sign == "+", let unit = text.last else { return nil }
        let number = text.dropFirst().dropLast()
        guard !number.isEmpty, number.allSatisfy(\.isNumber), let amount = Double(number) else { return nil }
        let scale: Double
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        case "w": scale = 604_800
        default: return nil
        }
        return (sign == "-" ? -1 : 1) * amount * scale
    }

    /// Compact `yyyyMMddTHHmmss[Z]` and dashed `yyyy-MM-dd[( |T)HH:mm[:ss]]` forms.
    static func localDate(_ text: String, timeZone: TimeZone) -> Date? {
        var body = Substring(text)
        var zone = timeZone
        if body.hasSuffix("Z") || body.hasSuffix("z") {
            body = body.dropLast()
            zone = TimeZone(identifier: "UTC") ?? timeZone
        }
        var fields: [Int] = []
        let compactDigits = body.filter(\.isNumber)
        if body.count == 15, body[body.index(body.startIndex, offsetBy: 8)] == "T" || body[body.index(body.startIndex, offsetBy: 8)] == "t",
           compactDigits.count == 14 {
            fields = take(compactDigits, widths: [4, 2, 2, 2, 2, 2])
        } else if body.count == 8, compactDigits.count == 8 {
            fields = take(compactDigits, widths: [4, 2, 2]) + [0, 0, 0]
        } else {
            let parts = body.split(whereSeparator: { $0 == "T" || $0 == " " })
            guard (1...2).contains(parts.count) else { return nil }
            let date = parts[0].split(separator: "-")
            guard date.count == 3, date.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
            fields = date.compactMap { Int($0) }
            if parts.count == 2 {
                let time = parts[1].split(separator: ":")
                guard (2...3).contains(time.count), time.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
                fields += time.compactMap { Int($0) }
            }
            while fields.count < 6 { fields.append(0) }
        }
        guard fields.count == 6, (1...12).contains(fields[1]), (1...31).contains(fields[2]),
              (0...23).contains(fields[3]), (0...59).contains(fields[4]), (0...60).contains(fields[5]) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: fields[0], month: fields[1], day: fields[2],
                                        hour: fields[3], minute: fields[4], second: fields[5])
        guard let date = calendar.date(from: components),
              calendar.component(.day, from: date) == fields[2] else { return nil }
        return date
    }

    private static func take(_ digits: String, widths: [Int]) -> [Int] {
        var result: [Int] = []
        var index = digits.startIndex
        for width in widths {
            let end = digits.index(index, offsetBy: width)
            result.append(Int(digits[index..<end]) ?? -1)
            index = end
        }
        return result
    }
}
