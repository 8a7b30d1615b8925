import FleetProtocol
import Foundation
import Testing

import FleetAgent

/// A Pi without a real-time clock can boot a day ahead, run its jobs, and be set back by NTP.
/// The runs it recorded then lie in the future; schedules must not wait for the clock to
/// catch up with them.
@Suite struct ClockJumpScheduleTests {
    @Test func aLastRunInTheFutureCountsAsNowNotAsADayAhead() async throws {
        let dir = try TempDir("clock-jump")
        defer { dir.cleanup() }
        let nas = try Fixture.marked(try dir.sub("nas"))
        let ledgerPath = dir.file("state/agent.db")
        let now = Date()
        do {  // the earlier life ran with the clock one day ahead
            let ledger = try Ledger(path: ledgerPath)
            try ledger.recordRunStarted(kind: "archive", name: "photos", at: now.addingTimeInterval(86_400))
        }
        let every = ArchiveJobSpec(name: "photos", sources: [ArchiveSource(path: try dir.sub("src"))], target: "\(nas)/p",
                                   schedule: .every(600), settleSeconds: 0)
        let runner = try JobRunner(ledgerPath: ledgerPath, nodeName: "n", tempDir: dir.file("state/tmp"),
                                   logger: Fixture.quietLogger, configuration: .init(maxRandomDelaySeconds: 0), openFiles: { [] })
        await runner.reconcile(archives: [every], backups: [])
        let next = try #require(await runner.statuses(now: now).first?.nextRunAt)
        // Measured from "now", not from tomorrow: due in ten minutes, not in a day and ten minutes.
        #expect(abs(next.timeIntervalSince(now) - 600) < 1, "next run \(next) for now \(now)")
        await runner.shutdown()
    }

    @Test func aDailyJobIsNotSkippedAfterTheClockWentBack() async throws {
        let dir = try TempDir("clock-jump-daily")
        defer { dir.cleanup() }
        let nas = try Fixture.marked(try dir.sub("nas"))
        let ledgerPath = dir.file("state/agent.db")
        let now = Date()
        do {
            let ledger = try Ledger(path: ledgerPath)
            try ledger.recordRunStarted(kind: "archive", name: "video", at: now.addingTimeInterval(86_400))
        }
        let minute = (Calendar.current.component(.hour, from: now) * 60 + Calendar.current.component(.minute, from: now) + 60) % 1440
        let daily = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: try dir.sub("src"))], target: "\(nas)/v",
                                   schedule: JobSchedule(kind: .daily, minuteOfDay: minute), settleSeconds: 0)
        let runner = try JobRunner(ledgerPath: ledgerPath, nodeName: "n", tempDir: dir.file("state/tmp"),
                                   logger: Fixture.quietLogger, configuration: .init(maxRandomDelaySeconds: 0), openFiles: { [] })
        await runner.reconcile(archives: [daily], backups: [])
        let next = try #require(await runner.statuses(now: now).first?.nextRunAt)
        // Its next occurrence is within the coming hour or so, not the day after tomorrow.
        #expect(next > now && next.timeIntervalSince(now) <= 3_660, "next run \(next) for now \(now)")
        await runner.shutdown()
    }
}
