import FleetProtocol
import Foundation
import Testing

/// The FoundationEssentials-only replacements for `trimmingCharacters(in:)` and
/// `String(format:)` give Foundation's results.
@Suite struct TextTrimmingTests {
    static let samples = [
        "", " ", "\n", "abc", "  abc  ", "\tabc\t\n", "\r\n token \r\n", "\u{00A0}x\u{2003}", "\u{2028}x\u{0085}",
        " a b ", "\u{000B}v\u{000C}", "ström ", "\n\n", " \u{3000}全角\u{3000} ", "a\u{0301} ",
    ]

    @Test func trimmingMatchesCharacterSet() {
        for text in Self.samples {
            #expect(text.trimmedWhitespaceAndNewlines == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
            #expect(text.trimmedWhitespace == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
            #expect(text.trimmedNewlines == text.trimmingCharacters(in: .newlines), "\(text.debugDescription)")
            #expect(("[" + text + "]").trimmingScalars(in: "[]") == ("[" + text + "]").trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        }
        #expect("[::1]".trimmingScalars(in: "[]") == "::1")
    }

    @Test func numbersMatchStringFormat() {
        // Within Int32: `%d` truncates wider values (the helper does not; no caller passes one).
        for value in [0, 7, 42, 2026, -5, 123_456, Int(Int32.max), Int(Int32.min)] {
            #expect(NumberText.zeroPadded(value, width: 2) == String(format: "%02d", value))
            #expect(NumberText.zeroPadded(value, width: 4) == String(format: "%04d", value))
        }
        #expect(NumberText.zeroPadded(UInt64(1), width: 20) == String(format: "%020llu", UInt64(1)))
        #expect(NumberText.zeroPadded(UInt64.max, width: 20) == String(format: "%020llu", UInt64.max))
        for value in [0.0, 0.05, 0.15, 0.25, 1.45, 2.5, 3.5, -0.04, -1.25, 99.95, 1e10 + 0.05, 12.345678, .infinity] {
            #expect(NumberText.fixed(value, decimals: 1) == String(format: "%.1f", value), "\(value)")
            #expect(NumberText.fixed(value, decimals: 0) == String(format: "%.0f", value), "\(value)")
        }
    }

    @Test func userInfoEncodingKeepsOnlyUnreserved() {
        #expect(EndpointTemplate.percentEncodeUnreserved("p@ss:w/rd-._~ö") == "p%40ss%3Aw%2Frd-._~%C3%B6")
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        for text in ["plain", "a b+c%d", "€uro!", "ä/ö?ü#"] {
            #expect(EndpointTemplate.percentEncodeUnreserved(text) == text.addingPercentEncoding(withAllowedCharacters: allowed))
        }
    }
}
