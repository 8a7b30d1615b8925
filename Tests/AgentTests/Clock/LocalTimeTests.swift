@testable import FleetAgent
import FleetProtocol
import Foundation
import Testing

/// `LocalTime` (the C library's local time, which ffmpeg names segments in) against Foundation's
/// ICU calendar: in this process's own zone, and under `TZ=Europe/Amsterdam` in a child process
/// (`local-time-helper`) across both 2026 DST transitions — the test process's TZ stays untouched
/// because other suites run alongside.
@Suite struct LocalTimeTests {
    static let amsterdam = "Europe/Amsterdam"

    /// Hourly (and odd-second) instants from 2026-03-27 to 2026-03-31 and 2026-10-23 to 2026-10-27,
    /// which hold Amsterdam's spring-forward (03-29 01:00Z) and fall-back (10-25 01:00Z).
    static let instants: [Int] = {
        let spring = 1_774_569_600, autumn = 1_792_713_600  // 2026-03-27T00:00Z, 2026-10-23T00:00Z
        return [spring, autumn].flatMap { start in stride(from: start, to: start + 4 * 86_400, by: 1_799).map { $0 } }
            + [0, 951_782_400, 1_774_745_999, 1_774_746_000, 1_792_889_999, 1_792_890_000, 4_102_444_800]
    }()

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    static func stamp(_ date: Date, _ calendar: Calendar) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let text = String(format: "%04d%02d%02dT%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                          c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        return "\(text) \(c.weekday ?? 0) \(calendar.timeZone.secondsFromGMT(for: date))"
    }

    /// Runs the helper under `TZ=zone`, one answer per query.
    static func helper(zone: String, _ queries: [String]) throws -> [String] {
        let path = builtExecutable("local-time-helper")
        try #require(FileManager.default.isExecutableFile(atPath: path), "build the package first: \(path)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = queries
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = zone
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        try #require(lines.count == queries.count, "\(lines)")
        return lines
    }

    @Test func partsMatchFoundationInThisProcessZone() {
        let calendar = Self.calendar(.current)
        for second in Self.instants {
            let date = Date(timeIntervalSince1970: Double(second))
            let p = LocalTime.parts(of: date)
            #expect("\(p.compactStamp) \(p.weekday) \(p.utcOffsetSeconds)" == Self.stamp(date, calendar), "\(second)")
            #expect(LocalTime.date(year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute,
                                   second: p.second).map { $0 <= date } == true, "\(second)")
        }
    }

    @Test func civilDayArithmetic() {
        #expect(LocalTime.days(year: 1970, month: 1, day: 1) == 0)
        #expect(LocalTime.days(year: 2026, month: 3, day: 29) == 20_541)
        #expect(LocalTime.days(year: 2026, month: 13, day: 1) == LocalTime.days(year: 2027, month: 1, day: 1))
        #expect(LocalTime.days(year: 2026, month: 2, day: 29) == LocalTime.days(year: 2026, month: 3, day: 1))
        #expect(LocalTime.days(year: 2025, month: 0, day: 31) == LocalTime.days(year: 2024, month: 12, day: 31))
        #expect(LocalTime.weekday(days: 0) == 5)  // Thursday
        #expect(LocalTime.weekday(days: -1) == 4)
        for day in stride(from: -800_000, to: 800_000, by: 997) {
            let c = LocalTime.civil(days: day)
            #expect(LocalTime.days(year: c.year, month: c.month, day: c.day) == day)
        }
    }

    @Test func amsterdamPartsMatchFoundation() throws {
        let zone = try #require(TimeZone(identifier: Self.amsterdam))
        let answers = try Self.helper(zone: Self.amsterdam, Self.instants.map { "parts:\($0)" })
        for (second, answer) in zip(Self.instants, answers) {
            #expect(answer == Self.stamp(Date(timeIntervalSince1970: Double(second)), Self.calendar(zone)), "\(second)")
        }
        #expect(answers[Self.instants.firstIndex(of: 1_774_746_000) ?? 0] == "20260329T030000 1 7200")
        #expect(answers[Self.instants.firstIndex(of: 1_774_745_999) ?? 0] == "20260329T015959 1 3600")
    }

    @Test func amsterdamWallTimesAcrossDST() throws {
        let answers = try Self.helper(zone: Self.amsterdam, [
            "date:2026:10:25:2:30:0:shift",   // the fold: the first 02:30 (CEST)
            "date:2026:10:25:3:30:0:shift",   // after the fold: CET
            "date:2026:3:29:2:30:0:shift",    // the gap, as Calendar.date(from:): 03:30 CEST
            "date:2026:3:29:2:30:0:next",     // the gap, as a schedule: 03:00 CEST
            "date:2026:7:1:12:0:0:shift",
            "date:2026:12:32:0:0:0:shift",    // rolls over to 2027-01-01
            "segment:ROST1:ROST1_20261025T023000.mkv",
            "segment:ROST1:ROST1_20261025T023000-k3x9.mkv",
            "segment:ROST1:ROST1_20260329T030000.mkv",
            "expand:1798759800:/nas/{station}/{yyyy}/{mm}/{dd}",  // 2026-12-31T23:30Z is 2027 there
        ])
        #expect(answers == ["1792888200", "1792895400", "1774747800", "1774746000", "1782900000",
                            "1798758000", "1792888200", "1792888200", "1774746000", "/nas/S/2027/01/01"])
        // Foundation agrees on the unambiguous and the gap cases.
        let calendar = Self.calendar(try #require(TimeZone(identifier: Self.amsterdam)))
        let gap = calendar.date(from: DateComponents(year: 2026, month: 3, day: 29, hour: 2, minute: 30))
        #expect(gap.map { Int($0.timeIntervalSince1970) } == 1_774_747_800)
    }

    @Test func amsterdamSchedulesAcrossDST() throws {
        let calendar = Self.calendar(try #require(TimeZone(identifier: Self.amsterdam)))
        // (kind, minuteOfDay, weekday, lastRun)
        var cases: [(JobSchedule.Kind, Int, Int, Int)] = [
            (.daily, 150, 0, 1_774_699_200),   // 02:30 daily from 03-28 noon: the gap → 03:00 CEST
            (.daily, 150, 0, 1_774_746_000),   // from the gap's end: next day 02:30 CEST
            (.weekly, 150, 1, 1_792_843_200),  // Sundays 02:30 from 10-24 noon: the first 02:30
            (.daily, 150, 0, 1_792_888_200),   // from the first 02:30: not the repeat, the next day
            (.daily, 0, 0, 1_792_890_000),
            (.weekly, 1439, 7, 1_774_569_600),
        ]
        for second in stride(from: 1_774_569_600, to: 1_774_569_600 + 4 * 86_400, by: 7_919) {
            cases.append((.daily, second % 1440, 0, second))
            cases.append((.weekly, (second / 7) % 1440, second % 7 + 1, second))
        }
        for second in stride(from: 1_792_713_600, to: 1_792_713_600 + 4 * 86_400, by: 7_919) {
            cases.append((.daily, second % 1440, 0, second))
            cases.append((.weekly, (second / 7) % 1440, second % 7 + 1, second))
        }
        let answers = try Self.helper(zone: Self.amsterdam, cases.map { "next:\($0.0.rawValue):\($0.1):\($0.2):\($0.3)" })
        #expect(Array(answers.prefix(6)) == ["1774746000", "1774830600", "1792888200", "1792978200",
                                             "1792969200", "1774738740"])
        for (c, answer) in zip(cases, answers) {
            let schedule = JobSchedule(kind: c.0, weekday: c.0 == .weekly ? c.2 : nil, minuteOfDay: c.1)
            let last = Date(timeIntervalSince1970: Double(c.3))
            let expected = JobScheduleCalculator.nextRun(schedule, lastRun: last, now: last, calendar: calendar)
            #expect(answer == expected.map { String(Int($0.timeIntervalSince1970)) }, "\(c)")
        }
    }

    @Test func defaultsFollowLocalTimeInThisProcess() throws {
        let date = Date(timeIntervalSince1970: 1_792_888_200)
        let p = LocalTime.parts(of: date)
        #expect(TargetTemplate.expand("{yyyy}-{mm}-{dd}", station: nil, date: date)
                == "\(p.compactStamp.prefix(4))-\(p.compactStamp.dropFirst(4).prefix(2))-\(p.compactStamp.dropFirst(6).prefix(2))")
        #expect(BackupJob.stamp(date) == p.compactStamp)
        #expect(SegmentClock.name(station: "ROST1", at: date) == "ROST1_\(p.compactStamp).mkv")
        let name = "ROST1_\(p.compactStamp).mkv"
        #expect(SegmentName.startDate(of: name, station: "ROST1") == date)
        #expect(TargetTemplate.recordingStamp(fileName: name)?.start == date)
    }
}
