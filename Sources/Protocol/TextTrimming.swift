/// Trimming and fixed-width number formatting without full Foundation: `trimmingCharacters(in:)`,
/// `CharacterSet` and `String(format:)` are not in FoundationEssentials, and the agent links only
/// that (a small agent). The character classes are `CharacterSet`'s, so results stay identical.
extension String {
    /// Without leading and trailing white space and newlines (`.whitespacesAndNewlines`).
    public var trimmedWhitespaceAndNewlines: String { trimmingScalars { $0.properties.isWhitespace } }

    /// Without leading and trailing spaces and tabs (`.whitespaces`: category Zs and U+0009), newlines kept.
    public var trimmedWhitespace: String {
        trimmingScalars { $0.properties.isWhitespace && !Self.isNewline($0) }
    }

    /// Without leading and trailing newlines (`.newlines`: U+000A–U+000D, U+0085, U+2028, U+2029).
    public var trimmedNewlines: String { trimmingScalars(where: Self.isNewline) }

    /// Without leading and trailing scalars that are in `characters`.
    public func trimmingScalars(in characters: String) -> String {
        let set = Set(characters.unicodeScalars)
        return trimmingScalars { set.contains($0) }
    }

    /// Without leading and trailing Unicode scalars matching `predicate`.
    public func trimmingScalars(where predicate: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !predicate($0) }),
              let last = scalars.lastIndex(where: { !predicate($0) }) else { return "" }
        return String(scalars[first...last])
    }

    private static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }
}

/// `printf`-style numbers (`%0Nd`, `%.Nf`) without `String(format:)`.
public enum NumberText {
    /// `value` in decimal, left-padded with zeros to `width` digits (`%0*d`; a minus sign counts in the width).
    public static func zeroPadded<T: BinaryInteger>(_ value: T, width: Int) -> String {
        let digits = String(value.magnitude)
        let sign = value < 0 ? "-" : ""
        let pad = max(0, width - digits.count - sign.count)
        return sign + String(repeating: "0", count: pad) + digits
    }

    /// `value` with exactly `decimals` fraction digits, rounded like `printf("%.*f")` (half to
    /// even on the exact binary value, which `Double.description` arithmetic would not reproduce).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        CFormat.fixed(value, decimals: decimals)
    }
}
