import Foundation
import FleetProtocol

/// The small languages inside inventory values: durations, percentages,
/// schedules, path templates, names and `${VAR}` references.
public enum ValueSyntax {
    /// Seconds in `30s`, `10m`, `1h`, `7d`, or a combination in descending units like `1h30m`.
    public static func duration(_ text: String) -> Int? {
        let units: [Character: Int] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        let order: [Character] = ["d", "h", "m", "s"]
        var total = 0
        var digits = ""
        var lastUnitIndex = -1
        var sawPart = false
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let multiplier = units[character], let unitIndex = order.firstIndex(of: character),
                  unitIndex > lastUnitIndex, !digits.isEmpty, digits.count <= 9, let number = Int(digits) else {
                return nil
            }
            total += number * multiplier
            lastUnitIndex = unitIndex
            digits = ""
            sawPart = true
        }
        guard sawPart, digits.isEmpty else { return nil }
        return total
    }

    /// The inverse of ``duration(_:)``: `90` → `1m30s`, `14400` → `4h`, `0` → `0s`.
    public static func format(duration seconds: Int) -> String {
        guard seconds > 0 else { return "0s" }
        let units: [(Int, String)] = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")]
        var rest = seconds
        var text = ""
        for (size, unit) in units where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    /// The number in `90%` or `92.5%` when it is between 0 and 100.
    public static func percentage(_ text: String) -> Double? {
        guard text.hasSuffix("%") else { return nil }
        let number = text.dropLast()
        guard !number.isEmpty, number.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "." }),
              let value = Double(number), value >= 0, value <= 100 else { return nil }
        return value
    }

    /// `daily HH:MM` or `DAY HH:MM` (sun, mon, tue, wed, thu, fri, sat; full names too).
    public static func schedule(_ text: String) -> JobSchedule? {
        let words = text.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        guard words.count == 2, let minute = minuteOfDay(String(words[1])) else { return nil }
        let day = String(words[0])
        if day == "daily" { return JobSchedule(kind: .daily, minuteOfDay: minute) }
        let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        let fullDays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
        guard let index = days.firstIndex(of: day) ?? fullDays.firstIndex(of: day) else { return nil }
        return JobSchedule(kind: .weekly, weekday: index + 1, minuteOfDay: minute)
    }

    /// Minutes after midnight for `HH:MM`.
    static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        return hour * 60 + minute
    }

    /// Every placeholder name in a path template, or what is malformed about it.
    public static func templatePlaceholders(_ template: String) -> Result<[String], TemplateProblem> {
        var names: [String] = []
        var current: String?
        for character in template {
            switch character {
            case "{":
                if current != nil { return .failure(TemplateProblem("'{' inside a placeholder")) }
                current = ""
            case "}":
                guard let name = current else { return .failure(TemplateProblem("'}' without '{'")) }
                if name.isEmpty { return .failure(TemplateProblem("empty placeholder {}")) }
                names.append(name)
                current = nil
            default:
                current?.append(character)
            }
        }
        if current != nil { return .failure(TemplateProblem("unclosed '{'")) }
        return .success(names)
    }

    /// What is wrong with a path template.
    public struct TemplateProblem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Node, station, site, job and receiver names: `ResourceName`'s rule, shared with registration.
    public static func isValidName(_ name: String) -> Bool {
        ResourceName.isValid(name)
    }

    /// A `${NAME}` reference that cannot be expanded.
    public struct ExpansionProblem: Error, Sendable, Equatable {
        public var message: String
    }

    /// Replaces `${NAME}` with its value; `$${` stands for a literal `${`; any other `$` stays.
    public static func expand(_ text: String, environment: [String: String]) -> Result<String, ExpansionProblem> {
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("$${") {
                output += "${"
                index = text.index(index, offsetBy: 3)
            } else if rest.hasPrefix("${") {
                let nameStart = text.index(index, offsetBy: 2)
                guard let close = text[nameStart...].firstIndex(of: "}") else {
                    return .failure(ExpansionProblem(message: "unclosed '${' in '\(text)'"))
                }
                let name = String(text[nameStart..<close])
                guard isVariableName(name) else {
                    return .failure(ExpansionProblem(message: "bad variable reference '${\(name)}': use ${NAME} with letters, digits and '_'"))
                }
                guard let value = environment[name] else {
                    return .failure(ExpansionProblem(message: "unknown variable '${\(name)}': it is not set in the environment of fleetctl apply"))
                }
                output += value
                index = text.index(after: close)
            } else {
                output.append(text[index])
                index = text.index(after: index)
            }
        }
        return .success(output)
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
