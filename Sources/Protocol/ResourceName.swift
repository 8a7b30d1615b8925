/// The one rule for names of nodes, stations, sites, jobs and receivers: 1–63 characters of
/// `A-Z a-z 0-9 . _ -`, starting and ending with a letter or digit, so that every name is
/// safe in a path, a URL and a hostname. Uniqueness ignores case (`PA` is `pa`).
///
/// ```swift
/// ResourceName.isValid("emsn-zolder")   // true
/// ResourceName.isValid("pa.")           // false: must end with a letter or digit
/// ResourceName.key("ROST1")             // "rost1", for case-insensitive uniqueness
/// ```
public enum ResourceName {
    public static let maxLength = 63

    public static func isValid(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, scalars.count <= maxLength else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && scalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// The form under which names are compared for uniqueness.
    public static func key(_ name: String) -> String { name.lowercased() }

    /// What `isValid` asks, as one line for an error message.
    public static let rule = "1–63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit"

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
    }
}
