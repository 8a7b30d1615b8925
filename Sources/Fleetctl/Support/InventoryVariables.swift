import FleetProtocol

/// `${NAME}` references in inventory files, resolved from fleetctl's environment.
///
/// fleetctl finds every `${NAME}` outside YAML comments, reports each one its environment
/// does not set as `FILE:LINE:COLUMN: unknown variable …`, and sends the values of the
/// referenced names with the files (``ApplyRequest/variables``). The coordinator substitutes
/// them inside string values, so a value with quotes, `:` or `#` never changes the YAML
/// around it. `$${` stays a literal `${`. Only referenced names leave the machine.
public enum InventoryVariables {
    /// One unset variable, at its `$`.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int
        public var name: String
        public var description: String {
            "\(file):\(line):\(column): unknown variable '${\(name)}': it is not set in fleetctl's environment"
        }
    }

    /// The values of every referenced variable that is set, and a problem for each that is not.
    public static func resolve(_ files: [ApplyRequest.File], environment: [String: String])
        -> (values: [String: String], problems: [Problem]) {
        var values: [String: String] = [:]
        var problems: [Problem] = []
        for file in files {
            for reference in references(in: file.content) {
                if let value = environment[reference.name] {
                    values[reference.name] = value
                } else {
                    problems.append(Problem(file: file.path, line: reference.line, column: reference.column, name: reference.name))
                }
            }
        }
        return (values, problems)
    }

    /// Every well-formed `${NAME}` outside comments, with its 1-based line and column.
    /// Malformed references are left to the coordinator, which reports them.
    static func references(in text: String) -> [(name: String, line: Int, column: Int)] {
        var found: [(name: String, line: Int, column: Int)] = []
        for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let characters = Array(code(of: line))
            var index = 0
            while index < characters.count {
                if characters[index] == "$", index + 2 < characters.count, characters[index + 1] == "$", characters[index + 2] == "{" {
                    index += 3
                } else if characters[index] == "$", index + 1 < characters.count, characters[index + 1] == "{" {
                    let start = index + 2
                    guard let close = characters[start...].firstIndex(of: "}") else { break }
                    let name = String(characters[start..<close])
                    if isVariableName(name) { found.append((name, lineIndex + 1, index + 1)) }
                    index = close + 1
                } else {
                    index += 1
                }
            }
        }
        return found
    }

    /// The line without its comment: a `#` at the start or after a blank, outside quotes
    /// (a quote opens a quoted scalar only at its start, so `O'Brien` opens none).
    static func code(of line: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'", [" ", "\t", "[", "{", ","].contains(previous) {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return line[..<index]
            }
            previous = character
        }
        return line
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
