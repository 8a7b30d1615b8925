import Foundation
import Yams
import FleetProtocol

/// One key/value pair of a YAML mapping, with the key as the operator wrote it.
struct Entry {
    let key: String
    let keyNode: Yams.Node
    let value: Yams.Node
}

/// The fields of one inventory object (a station, an archive...), already checked
/// for unknown and repeated keys.
struct Fields {
    let reader: FieldReader
    /// Names the object in messages, e.g. `station 'ROST1'`.
    let what: String
    /// Where "missing field" problems are reported: the object's key, or the mapping itself.
    let anchor: Yams.Node
    let entries: [Entry]

    subscript(key: String) -> Entry? { entries.first { $0.key == key } }

    /// The entry for `key`, reporting it as missing when absent.
    func required(_ key: String) -> Entry? {
        if let entry = self[key] { return entry }
        reader.report(anchor, "missing required field '\(key)' in \(what)")
        return nil
    }
}

/// Reads typed values out of a composed YAML file, reporting every problem with its position.
struct FieldReader {
    let source: YAMLSource
    let sink: DiagnosticSink
    let environment: [String: String]

    func position(_ node: Yams.Node) -> SourcePosition { source.position(of: node) }

    func report(_ node: Yams.Node, _ message: String) { sink.report(position(node), message) }

    // MARK: Structure

    static func isNull(_ node: Yams.Node) -> Bool {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func kindName(_ node: Yams.Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case let .scalar(scalar):
            if isNull(node) { return "nothing (null)" }
            return "'\(scalar.string)'"
        }
    }

    func wrongType(_ node: Yams.Node, _ field: String, expected: String) {
        report(node, "wrong type for '\(field)': expected \(expected), found \(Self.kindName(node))")
    }

    /// The pairs of a mapping, checking that keys are strings and unique. Null counts as empty.
    /// `field` is a field name (`stations`); `label` a description (`station 'ROST1'`) used instead when given.
    func entries(_ node: Yams.Node, field: String, label: String? = nil) -> [Entry]? {
        let label = label ?? "'\(field)'"
        if Self.isNull(node) { return [] }
        guard case let .mapping(mapping) = node else {
            report(node, "wrong type for \(label): expected a mapping, found \(Self.kindName(node))")
            return nil
        }
        var result: [Entry] = []
        var seen: [String: Yams.Node] = [:]
        for (keyNode, value) in mapping {
            guard case let .scalar(scalar) = keyNode else {
                report(keyNode, "wrong type for a key in \(label): expected a name, found \(Self.kindName(keyNode))")
                continue
            }
            let key = YAMLSource.originalKey(scalar.string)
            if let first = seen[key] {
                let firstAt = position(first)
                report(keyNode, "duplicate key '\(key)' in \(label) (first defined at line \(firstAt.line), column \(firstAt.column))")
                continue
            }
            seen[key] = keyNode
            result.append(Entry(key: key, keyNode: keyNode, value: value))
        }
        return result
    }

    /// The fields of an object, reporting unknown ones together with the allowed names.
    func fields(_ node: Yams.Node, what: String, anchor: Yams.Node? = nil, allowed: [String]) -> Fields? {
        guard let entries = entries(node, field: what, label: what) else { return nil }
        var known: [Entry] = []
        for entry in entries {
            if allowed.contains(entry.key) {
                known.append(entry)
            } else {
                report(entry.keyNode, "unknown field '\(entry.key)' in \(what) (allowed: \(allowed.joined(separator: ", ")))")
            }
        }
        return Fields(reader: self, what: what, anchor: anchor ?? node, entries: known)
    }

    // MARK: Scalars

    /// A string value with `${VAR}` references expanded.
    func string(_ node: Yams.Node, _ field: String) -> String? {
        guard case let .scalar(scalar) = node, !Self.isNull(node) else {
            wrongType(node, field, expected: "a string")
            return nil
        }
        return expand(scalar.string, at: node)
    }

    /// A non-empty string.
    func nonEmptyString(_ node: Yams.Node, _ field: String) -> String? {
        guard let value = string(node, field) else { return nil }
        if value.isEmpty {
            report(node, "'\(field)' must not be empty")
            return nil
        }
        return value
    }

    func int(_ node: Yams.Node, _ field: String, range: ClosedRange<Int>) -> Int? {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any,
              let value = Int(scalar.string) else {
            wrongType(node, field, expected: "an integer")
            return nil
        }
        guard range.contains(value) else {
            report(node, "'\(field)' must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    func bool(_ node: Yams.Node, _ field: String) -> Bool? {
        if case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any {
            switch scalar.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        wrongType(node, field, expected: "true or false")
        return nil
    }

    /// A duration like `30s`, `10m`, `1h`, `7d` or `1h30m`, in seconds.
    func duration(_ node: Yams.Node, _ field: String, allowZero: Bool = false) -> Int? {
        guard case let .scalar(scalar) = node, !Self.isNull(node) else {
            wrongType(node, field, expected: "a duration like 30s, 10m, 1h or 7d")
            return nil
        }
        guard let seconds = ValueSyntax.duration(scalar.string) else {
            report(node, "bad duration '\(scalar.string)' for '\(field)': use a number with unit s, m, h or d, like 30s, 10m, 1h, 7d or 1h30m")
            return nil
        }
        if seconds == 0 && !allowZero {
            report(node, "'\(field)' must be longer than zero")
            return nil
        }
        return seconds
    }

    /// A percentage like `90%`, as a number from 0 to 100.
    func percentage(_ node: Yams.Node, _ field: String) -> Double? {
        guard case let .scalar(scalar) = node, let value = ValueSyntax.percentage(scalar.string) else {
            report(node, "bad percentage \(Self.kindName(node)) for '\(field)': use a number from 0 to 100 followed by %, like 90%")
            return nil
        }
        return value
    }

    /// A name usable in paths and URLs: letters, digits, `.`, `_`, `-`.
    func name(_ key: String, at node: Yams.Node, kind: String) -> Bool {
        if ValueSyntax.isValidName(key) { return true }
        report(node, "bad \(kind) name '\(key)': use \(ResourceName.rule)")
        return false
    }

    /// An absolute path without template placeholders.
    func absolutePath(_ node: Yams.Node, _ field: String) -> String? {
        guard let path = nonEmptyString(node, field) else { return nil }
        if !path.hasPrefix("/") {
            report(node, "'\(field)' must be an absolute path, found '\(path)'")
            return nil
        }
        if path.contains("{") || path.contains("}") {
            report(node, "bad path '\(path)' for '\(field)': placeholders like {node} are only expanded in a target")
            return nil
        }
        return path
    }

    /// An absolute path template using only `allowed` placeholders.
    func template(_ node: Yams.Node, _ field: String, allowed: [String], hint: String) -> String? {
        guard let path = nonEmptyString(node, field) else { return nil }
        if !path.hasPrefix("/") {
            report(node, "'\(field)' must be an absolute path, found '\(path)'")
            return nil
        }
        switch ValueSyntax.templatePlaceholders(path) {
        case .failure(let problem):
            report(node, "bad path template '\(path)' for '\(field)': \(problem)")
            return nil
        case .success(let names):
            if let bad = names.first(where: { !allowed.contains($0) }) {
                let list = allowed.map { "{\($0)}" }.joined(separator: ", ")
                report(node, "bad path template '\(path)' for '\(field)': {\(bad)} is not allowed here (allowed: \(list)\(hint))")
                return nil
            }
            return path
        }
    }

    /// `every:` or `schedule:` — exactly one of them — as a job schedule.
    func schedule(_ fields: Fields) -> JobScheduleResult {
        let every = fields["every"]
        let schedule = fields["schedule"]
        switch (every, schedule) {
        case (nil, nil):
            report(fields.anchor, "missing schedule in \(fields.what): give 'every' (a duration) or 'schedule' (like \"daily 02:00\" or \"sun 03:00\")")
            return .invalid
        case let (every?, _?):
            report(every.keyNode, "\(fields.what) has both 'every' and 'schedule': give exactly one")
            return .invalid
        case let (every?, nil):
            guard let seconds = duration(every.value, "every") else { return .invalid }
            return .valid(.every(seconds))
        case let (nil, schedule?):
            guard let text = string(schedule.value, "schedule") else { return .invalid }
            guard let parsed = ValueSyntax.schedule(text) else {
                report(schedule.value, "bad schedule '\(text)': use \"daily HH:MM\" or a weekday and time like \"sun 03:00\"")
                return .invalid
            }
            return .valid(parsed)
        }
    }

    /// A list of strings, each with its node for later reference checks.
    func stringList(_ node: Yams.Node, _ field: String) -> [(String, Yams.Node)]? {
        guard case let .sequence(sequence) = node else {
            wrongType(node, field, expected: "a list")
            return nil
        }
        var result: [(String, Yams.Node)] = []
        for item in sequence {
            if let value = nonEmptyString(item, field) { result.append((value, item)) }
        }
        return result
    }

    /// A mapping of string to string (labels, match).
    func stringMap(_ node: Yams.Node, _ field: String) -> [String: String]? {
        guard let entries = entries(node, field: field) else { return nil }
        var result: [String: String] = [:]
        for entry in entries {
            if let value = string(entry.value, "\(field).\(entry.key)") { result[entry.key] = value }
        }
        return result
    }

    // MARK: Environment

    /// Expands `${NAME}` from the environment; `$${` stands for a literal `${`.
    private func expand(_ text: String, at node: Yams.Node) -> String? {
        guard text.contains("$") else { return text }
        switch ValueSyntax.expand(text, environment: environment) {
        case .success(let value):
            return value
        case .failure(let problem):
            report(node, problem.message)
            return nil
        }
    }
}

/// A schedule read from an object: valid, or already reported.
enum JobScheduleResult {
    case valid(JobSchedule)
    case invalid
}
