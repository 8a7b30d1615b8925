import Foundation
import Testing
@testable import FleetctlCore

@Suite struct TimeArgumentTests {
    let utc = TimeZone(identifier: "UTC") ?? .current
    let amsterdam = TimeZone(identifier: "Europe/Amsterdam") ?? .current
    let reference = Date(timeIntervalSince1970: 1_747_971_000) // 2025-05-23T03:30:00Z

    @Test func iso8601() throws {
        #expect(try TimeArgument.parse("2025-05-23T03:30:00Z", timeZone: amsterdam) == .absolute(reference))
        #expect(try TimeArgument.parse("2025-05-23T05:30:00+02:00", timeZone: utc) == .absolute(reference))
        #expect(try TimeArgument.parse("2025-05-23T03:30:00.000Z", timeZone: utc) == .absolute(reference))
    }

    @Test func compactFormIsLocalTime() throws {
        #expect(try TimeArgument.parse("20250523T033000", timeZone: utc) == .absolute(reference))
        // Amsterdam is UTC+2 in May: 05:30 local is 03:30 UTC.
        #expect(try TimeArgument.parse("20250523T053000", timeZone: amsterdam) == .absolute(reference))
        #expect(try TimeArgument.parse("20250523T033000Z", timeZone: amsterdam) == .absolute(reference))
    }

    @Test func dashedLocalForms() throws {
        #expect(try TimeArgument.parse("2025-05-23T05:30:00", timeZone: amsterdam) == .absolute(reference))
        #expect(try TimeArgument.parse("2025-05-23 03:30", timeZone: utc) == .absolute(reference))
        #expect(try TimeArgument.parse("2025-05-23", timeZone: utc) == .absolute(reference.addingTimeInterval(-12_600)))
    }

    @Test func relative() throws {
        #expect(try TimeArgument.parse("-24h", timeZone: utc) == .relative(-86_400))
        #expect(try TimeArgument.parse("-7d", timeZone: utc) == .relative(-604_800))
        #expect(try TimeArgument.parse("-30m", timeZone: utc) == .relative(-1800))
        #expect(try TimeArgument.parse("-90s", timeZone: utc) == .relative(-90))
        #expect(try TimeArgument.parse("now", timeZone: utc) == .relative(0))
        #expect(TimeArgument.relative(-3600).resolve(now: reference) == reference.addingTimeInterval(-3600))
    }

    @Test(arguments: ["yesterday", "", "-24", "-h", "24h", "20250532T000000", "2025-13-01", "20250523T256000", "2025-02-30", "-1.5h"])
    func rejected(text: String) {
        #expect(throws: TimeArgument.ParseError.self) { try TimeArgument.parse(text, timeZone: utc) }
    }

    @Test func recordingsSendsPercentEncodedISOQuery() {
        let path = RequestPath.withQuery("/v1/stations/ROST1/recordings",
                                         [("from", "2025-05-23T03:30:00Z"), ("to", "2025-05-24T00:00:00+02:00")])
        #expect(path == "/v1/stations/ROST1/recordings?from=2025-05-23T03%3A30%3A00Z&to=2025-05-24T00%3A00%3A00%2B02%3A00")
        #expect(RequestPath.segment("a b/c") == "a%20b%2Fc")
    }
}
