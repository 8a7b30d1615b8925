/// Domain errors of the coordinator's fleet logic. The API layer maps each to an HTTP status.
public enum FleetError: Error, CustomStringConvertible, Equatable {
    case notFound(kind: String, name: String)
    case conflict(String)
    case badRequest(String)
    case invalidInventory(diagnostics: [String])
    case forbidden(String)

    public var description: String {
        switch self {
        case .notFound(let kind, let name): return "\(kind) \(name) not found"
        case .conflict(let message), .badRequest(let message), .forbidden(let message): return message
        case .invalidInventory(let diagnostics):
            return "inventory has \(diagnostics.count) error\(diagnostics.count == 1 ? "" : "s")"
        }
    }
}

/// Node names: what a hostname may be, so they are safe in paths and URLs.
enum NodeName {
    static func isValid(_ name: String) -> Bool {
        guard (1...63).contains(name.utf8.count) else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || scalar == "-" || scalar == "_" || scalar == "."
        } && name.first != "." && name.first != "-"
    }
}
