import Foundation

/// One label matcher, as in Alertmanager: `name=value`, `name!=value`, `name=~regex`,
/// `name!~regex`. A missing label is the empty string (so `level!="critical"` matches an
/// alert without `level`); regular expressions are anchored at both ends and, as in
/// Alertmanager, `.` does not match a newline.
///
/// ```swift
/// let matcher = try LabelMatcher(parsing: "alertname=~Segment.*")
/// matcher.matches(["alertname": "SegmentStale"])   // true
/// ```
public struct LabelMatcher: Codable, Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Codable, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case regex = "=~"
        case notRegex = "!~"
    }

    public let name: String
    public let op: Operator
    public let value: String
    private let compiled: CompiledPattern?

    /// Throws `LabelMatcherError` for a bad label name or regular expression.
    public init(name: String, op: Operator, value: String) throws(LabelMatcherError) {
        guard Self.isValidLabelName(name) else { throw .badLabelName(name) }
        self.name = name
        self.op = op
        self.value = value
        switch op {
        case .equal, .notEqual:
            compiled = nil
        case .regex, .notRegex:
            guard let regex = try? NSRegularExpression(pattern: "^(?:\(value))$", options: []) else {
                throw .badRegex(value)
            }
            compiled = CompiledPattern(regex: regex)
        }
    }

    /// Parses Alertmanager's string form `name OP value`, optionally in braces
    /// (`{owner="team-A"}`); the value may be double-quoted (`site="auk lab"`, with `\"` and
    /// `\\` escapes). An operator other than `=`, `!=`, `=~`, `!~` (`=>`, `==`, `~`) is an
    /// error rather than part of the value; quote the value to start it with such a character.
    public init(parsing text: String) throws(LabelMatcherError) {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("{"), trimmed.hasSuffix("}"), trimmed.count >= 2 {
            trimmed = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        let operatorCharacters: Set<Character> = ["=", "!", "~", "<", ">"]
        guard let opStart = trimmed.firstIndex(where: { operatorCharacters.contains($0) }) else {
            throw .noOperator(text)
        }
        let name = trimmed[..<opStart].trimmingCharacters(in: .whitespaces)
        let opEnd = trimmed[opStart...].firstIndex(where: { !operatorCharacters.contains($0) }) ?? trimmed.endIndex
        // The whole run of operator characters is the operator: `site=>x` is an error, not `site` = `>x`.
        let opText = String(trimmed[opStart..<opEnd])
        guard let op = Operator(rawValue: opText) else { throw .unknownOperator(opText, text) }
        let rawValue = trimmed[opEnd...].trimmingCharacters(in: .whitespaces)
        let value = try Self.unquote(rawValue, text: text)
        try self.init(name: name, op: op, value: value)
    }

    /// A double-quoted value without its quotes and escapes; an unquoted value as it is.
    private static func unquote(_ raw: String, text: String) throws(LabelMatcherError) -> String {
        guard raw.hasPrefix("\"") else { return raw }
        guard raw.count >= 2, raw.hasSuffix("\"") else { throw .badQuoting(text) }
        var result = ""
        var escaped = false
        for character in raw.dropFirst().dropLast() {
            if escaped {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                throw .badQuoting(text)
            } else {
                result.append(character)
            }
        }
        if escaped { throw .badQuoting(text) }
        return result
    }

    public func matches(_ labels: [String: String]) -> Bool {
        let actual = labels[name] ?? ""
        switch op {
        case .equal: return actual == value
        case .notEqual: return actual != value
        case .regex: return compiled?.matches(actual) ?? false
        case .notRegex: return !(compiled?.matches(actual) ?? false)
        }
    }

    /// `name OP "value"`, the value quoted with `\\`, `"` and newlines escaped, so that
    /// `LabelMatcher(parsing: matcher.description) == matcher`.
    public var description: String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\(name)\(op.rawValue)\"\(escaped)\""
    }

    /// Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII,
              first == "_" || CharacterSet.letters.contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || CharacterSet.alphanumerics.contains($0)) }
    }

    // Equality, hashing and coding use the text only.
    public static func == (lhs: LabelMatcher, rhs: LabelMatcher) -> Bool {
        lhs.name == rhs.name && lhs.op == rhs.op && lhs.value == rhs.value
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name); hasher.combine(op); hasher.combine(value)
    }
    private enum CodingKeys: String, CodingKey { case name, op, value }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(name: container.decode(String.self, forKey: .name), op: container.decode(Operator.self, forKey: .op),
                      value: container.decode(String.self, forKey: .value))
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(op, forKey: .op)
        try container.encode(value, forKey: .value)
    }
}

extension [LabelMatcher] {
    /// True when every matcher matches (an empty list matches everything).
    public func allMatch(_ labels: [String: String]) -> Bool { allSatisfy { $0.matches(labels) } }
}

public enum LabelMatcherError: Error, Equatable, CustomStringConvertible {
    case badLabelName(String)
    case badRegex(String)
    case noOperator(String)
    /// An operator that is none of `=`, `!=`, `=~`, `!~`: the operator, then the whole text.
    case unknownOperator(String, String)
    /// A value that opens a double quote and does not close it properly.
    case badQuoting(String)

    public var description: String {
        switch self {
        case .badLabelName(let name): "bad label name '\(name)': use letters, digits and '_', not starting with a digit"
        case .badRegex(let pattern): "bad regular expression '\(pattern)'"
        case .noOperator(let text): "bad matcher '\(text)': use NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX"
        case let .unknownOperator(op, text):
            "unknown operator '\(op)' in matcher '\(text)': use =, !=, =~ or !~ (quote a value that starts with one of = ! ~ < >)"
        case .badQuoting(let text): "bad quoting in matcher '\(text)': close the value's double quote, escape inner quotes as \\\""
        }
    }
}

/// A compiled, immutable regular expression (NSRegularExpression is thread-safe for matching).
private final class CompiledPattern: @unchecked Sendable {
    let regex: NSRegularExpression
    init(regex: NSRegularExpression) { self.regex = regex }
    func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
