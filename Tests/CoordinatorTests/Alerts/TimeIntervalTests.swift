import Foundation
import FleetCoordinator
import FleetInventory
import FleetProtocol
import Testing

/// `alerts.timeIntervals`: matching ported from Alertmanager's `timeinterval_test.go`, and
/// the parser's positioned errors.
@Suite struct TimeIntervalTests {
    /// Go's `time.RFC822Z` as Alertmanager's tests write times: `02 Jan 06 15:04 -0700`.
    static func date(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd MMM yy HH:mm Z"
        return try #require(formatter.date(from: text), "bad test date \(text)", sourceLocation: sourceLocation)
    }

    typealias Period = AlertTimePeriod
    typealias R = AlertTimePeriod.Range

    /// Alertmanager's `timeIntervalTestCases`: `(period, contained, not contained)`.
    static let periods: [(Period, [String], [String])] = [
        (Period(), ["02 Jan 06 15:04 +0000", "03 Jan 07 10:04 +0000", "04 Jan 06 09:04 +0000"], []),
        // 9am to 5pm, monday to friday
        (Period(times: [.init(start: 540, end: 1020)], weekdays: [R(1, 5)]),
         ["04 May 20 15:04 +0000", "05 May 20 10:04 +0000", "09 Jun 20 09:04 +0000"],
         ["03 May 20 15:04 +0000", "04 May 20 08:59 +0000", "05 May 20 05:00 +0000"]),
        // Easter 2020
        (Period(daysOfMonth: [R(4, 6)], months: [R(4, 4)], years: [R(2020, 2020)]),
         ["04 Apr 20 15:04 +0000", "05 Apr 20 00:00 +0000", "06 Apr 20 23:05 +0000"],
         ["03 May 18 15:04 +0000", "03 Apr 20 23:59 +0000", "04 Jun 20 23:59 +0000", "06 Apr 19 23:59 +0000",
          "07 Apr 20 00:00 +0000"]),
        // Negative days of month: the last 3 days of each month
        (Period(daysOfMonth: [R(-3, -1)]),
         ["31 Jan 20 15:04 +0000", "30 Jan 20 15:04 +0000", "29 Jan 20 15:04 +0000", "30 Jun 20 00:00 +0000",
          "29 Feb 20 23:05 +0000"],
         ["03 May 18 15:04 +0000", "27 Jan 20 15:04 +0000", "03 Apr 20 23:59 +0000", "04 Jun 20 23:59 +0000",
          "06 Apr 19 23:59 +0000", "07 Apr 20 00:00 +0000", "01 Mar 20 00:00 +0000"]),
        // Out of bound days are clamped to the month
        (Period(daysOfMonth: [R(-31, 31)], months: [R(6, 6)]),
         ["30 Jun 20 00:00 +0000", "01 Jun 20 00:00 +0000"], ["31 May 20 00:00 +0000", "01 Jul 20 00:00 +0000"]),
        // Another time zone: AEST 9am to 5pm, monday to friday
        (Period(times: [.init(start: 540, end: 1020)], weekdays: [R(1, 5)], location: "Australia/Sydney"),
         ["06 Apr 21 13:00 +1000"], ["06 Apr 21 13:00 +0000"]),
        // ... during daylight saving time
        (Period(times: [.init(start: 540, end: 1020)], weekdays: [R(1, 5)], months: [R(11, 11)], location: "Australia/Sydney"),
         ["01 Nov 21 09:00 +1100", "31 Oct 21 22:00 +0000"], ["31 Oct 21 21:00 +0000"]),
        // The end minute is excluded; 24:00 ends the day
        (Period(times: [.init(start: 1020, end: 1440)]),
         ["01 Jan 21 17:00 +0000", "01 Jan 21 23:59 +0000"], ["01 Jan 21 16:59 +0000", "02 Jan 21 00:00 +0000"]),
    ]

    @Test func periodsContainAsInAlertmanager() throws {
        for (period, inside, outside) in Self.periods {
            for text in inside { #expect(period.contains(try Self.date(text)), "\(period) should contain \(text)") }
            for text in outside { #expect(!period.contains(try Self.date(text)), "\(period) should not contain \(text)") }
        }
    }

    /// The intervals of an inventory whose `alerts.timeIntervals` is `body` (indented by 4).
    static func intervals(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: AlertTimeInterval] {
        let yaml = "alerts:\n  timeIntervals:\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        let inventory = try Inventory.load(files: [ApplyRequest.File(path: "fleet.yaml", content: yaml)])
        return try #require(inventory.alerts?.timeIntervals, sourceLocation: sourceLocation)
    }

    /// Alertmanager's `yamlUnmarshalTestCases` and `completeTestCases` in our field names:
    /// `(periods of interval t, contained, not contained)`.
    static let parsed: [(String, [String], [String])] = [
        ("- weekdays: ['monday:friday']\n  times: [{start: '09:00', end: '17:00'}]",
         ["08 Jul 20 09:00 +0000", "08 Jul 20 16:59 +0000", "01 Apr 21 13:00 +0000"],
         ["08 Jul 20 05:00 +0000", "08 Jul 20 08:59 +0000"]),
        // The last week, without saturday, of the first quarter, business hours, 2020–2025 and 2030–2035
        ("""
        - weekdays: ['monday:friday', 'sunday']
          months: ['january:march']
          daysOfMonth: ['-7:-1']
          years: ['2020:2025', '2030:2035']
          times: [{start: '09:00', end: '17:00'}]
        """,
         ["27 Jan 21 09:00 +0000", "28 Jan 21 16:59 +0000", "29 Jan 21 13:00 +0000", "31 Mar 25 13:00 +0000",
          "31 Jan 35 13:00 +0000"],
         ["30 Jan 21 13:00 +0000", "01 Apr 21 13:00 +0000", "30 Jan 26 13:00 +0000", "31 Jan 35 17:01 +0000"]),
        ("""
        - weekdays: ['monday:wednesday', 'saturday', 'sunday']
          times: [{start: '13:00', end: '15:00'}]
          daysOfMonth: ['1', '10', '20:-1']
          years: ['2020:2023']
          months: ['january:march']
        """,
         ["10 Jan 21 13:00 +0000", "30 Jan 21 14:24 +0000"],
         ["09 Jan 21 13:00 +0000", "20 Jan 21 12:59 +0000", "02 Feb 21 13:00 +0000"]),
        // A range starting after the month's end matches nothing (no clamping into February)
        ("- {daysOfMonth: ['30:31'], years: ['2020:2023'], months: [february]}", [], ["28 Feb 21 13:00 +0000"]),
        ("- {months: ['January:december']}", ["15 Aug 22 10:00 +0000"], []),
        ("- {daysOfMonth: ['1:-1']}", ["01 Feb 22 00:00 +0000", "28 Feb 22 23:59 +0000"], []),
        ("- {months: ['12', 'january:2']}", ["01 Dec 22 00:00 +0000", "28 Feb 22 23:59 +0000"], ["01 Mar 22 00:00 +0000"]),
        // Any period matches: nights across midnight are two ranges or two periods
        ("- times: [{start: '22:00', end: '24:00'}]\n- times: [{start: '00:00', end: '07:00'}]",
         ["01 Jan 22 22:00 +0000", "02 Jan 22 06:59 +0000"], ["02 Jan 22 07:00 +0000", "01 Jan 22 21:59 +0000"]),
        // The location is where weekdays and times are read
        ("- {weekdays: [saturday, sunday], location: Europe/Amsterdam}",
         // Saturday; Sunday 23:30 there; Saturday 00:30 there (Friday in UTC)
         ["04 Jan 25 00:30 +0100", "05 Jan 25 22:30 +0000", "03 Jan 25 23:30 +0000"],
         // Monday 00:30 there (Sunday in UTC); Friday
         ["05 Jan 25 23:30 +0000", "03 Jan 25 23:30 +0100"]),
    ]

    @Test func parsedIntervalsContainAsInAlertmanager() throws {
        for (body, inside, outside) in Self.parsed {
            let interval = try #require(try Self.intervals("t:\n" + body)["t"], "\(body)")
            for text in inside { #expect(interval.contains(try Self.date(text)), "\(body)\nshould contain \(text)") }
            for text in outside { #expect(!interval.contains(try Self.date(text)), "\(body)\nshould not contain \(text)") }
        }
    }

    @Test func parsedFieldsAreAlertmanagersNumbers() throws {
        let interval = try #require(try Self.intervals("""
        t:
        - {times: [{start: '00:00', end: '24:00'}, {start: '01:35', end: '17:39'}], weekdays: [Sunday, 'monday:friday'],
           daysOfMonth: ['-7:-1'], months: ['march', '10:12'], years: ['2026'], location: UTC}
        """)["t"])
        #expect(interval.periods == [AlertTimePeriod(
            times: [.init(start: 0, end: 1440), .init(start: 95, end: 1059)], weekdays: [R(0, 0), R(1, 5)],
            daysOfMonth: [R(-7, -1)], months: [R(3, 3), R(10, 12)], years: [R(2026, 2026)], location: "UTC")])
    }
}
