import FleetAgent
import FleetProtocol
import Foundation
import Testing

@Suite("Schedules and runner", .serialized)
struct ScheduleTests {
    var utc: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? .current
        return c
    }
    func date(_ s: String) throws -> Date { try #require(WireCoding.parseDate(s)) }

    @Test("next run for every, daily and weekly; missed run is due once")
    func nextRuns() throws {
        let now = try date("2026-01-07T09:00:00Z")   // a Wednesday
        let every = JobSchedule.every(600)
        #expect(JobScheduleCalculator.nextRun(every, lastRun: nil, now: now, calendar: utc) == now)
        #expect(JobScheduleCalculator.nextRun(every, lastRun: now, now: now, calendar: utc) == now.addingTimeInterval(600))

        let daily = JobSchedule(kind: .daily, minuteOfDay: 3 * 60)
        #expect(JobScheduleCalculator.nextRun(daily, lastRun: nil, now: now, calendar: utc) == (try date("2026-01-08T03:00:00Z")))
        #expect(JobScheduleCalculator.nextRun(daily, lastRun: try date("2026-01-06T03:00:00Z"), now: now, calendar: utc)
                == (try date("2026-01-07T03:00:00Z")))
        // Off for two days: the missed run is due now (in the past), once; after it runs, tomorrow.
        let missed = try #require(JobScheduleCalculator.nextRun(daily, lastRun: try date("2026-01-05T03:00:00Z"), now: now, calendar: utc))
        #expect(missed <= now)
        #expect(JobScheduleCalculator.nextRun(daily, lastRun: now, now: now, calendar: utc) == (try date("2026-01-08T03:00:00Z")))

        let weekly = JobSchedule(kind: .weekly, weekday: 1, minuteOfDay: 3 * 60)   // "sun 03:00"
        #expect(JobScheduleCalculator.nextRun(weekly, lastRun: nil, now: now, calendar: utc) == (try date("2026-01-11T03:00:00Z")))
        #expect(JobScheduleCalculator.nextRun(weekly, lastRun: try date("2026-01-04T03:00:00Z"), now: now, calendar: utc)
                == (try date("2026-01-11T03:00:00Z")))
        #expect(JobScheduleCalculator.nextRun(JobSchedule(kind: .weekly, minuteOfDay: 60), lastRun: nil, now: now) == nil)

        #expect(JobScheduleCalculator.maxRandomDelay(every, cap: 300) == 60)
        #expect(JobScheduleCalculator.maxRandomDelay(.every(86_400), cap: 300) == 300)
        #expect(JobScheduleCalculator.maxRandomDelay(daily, cap: 0) == 0)
    }

    @Test("runner: missed daily run happens once on start, runNow joins a running run, statuses report backlog")
    func runner() async throws {
        let dir = try TempDir("runner")
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try Fixture.marked(try dir.sub("nas"))
        for i in 1...3 { try Fixture.makeFile("\(src)/ROST1_2026010\(i)T000000.mkv", size: 2_000_000, ageSeconds: 3600) }
        try Fixture.makeFile("\(src)/ROST1_20260104T000000.mkv", size: 1000, ageSeconds: 0)   // newest, settling
        let ledgerPath = dir.file("state/agent.db")
        let now = Date()
        do {   // an earlier agent life: last run two days ago
            let ledger = try Ledger(path: ledgerPath)
            try ledger.recordRunStarted(kind: "archive", name: "video", at: now.addingTimeInterval(-2 * 86_400))
        }
        let minute = (Calendar.current.component(.hour, from: now) * 60 + Calendar.current.component(.minute, from: now) + 720) % 1440
        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: src, station: "ROST1")], target: "\(nas)/{station}",
                                  schedule: JobSchedule(kind: .daily, minuteOfDay: minute), settleSeconds: 60)
        let runner = try JobRunner(ledgerPath: ledgerPath, nodeName: "recordingpi", tempDir: dir.file("state/tmp"),
                                   logger: Fixture.quietLogger, configuration: .init(maxRandomDelaySeconds: 0),
                                   openFiles: { [] })
        await runner.reconcile(archives: [spec], backups: [])
        await runner.tick(now: now)
        await runner.tick(now: now)   // already running or done: no second start
        var runs: [JobRun] = []
        #expect(await waitUntil(timeout: 20) { runs += await runner.takeRuns(); return !runs.isEmpty })
        await runner.tick(now: Date())
        let segments = await runner.takeArchivedSegments()
        #expect(runs.count == 1)
        #expect(runs.first?.outcome == .succeeded)
        #expect(segments.count == 3)
        let status = try #require(await runner.statuses().first)
        #expect(status.backlogFiles == 1)
        #expect(status.lastSuccessAt != nil)
        #expect(status.nextRunAt.map { $0 > Date() } == true)

        async let a = runner.runNow(kind: .archive, name: "video")
        async let b = runner.runNow(kind: .archive, name: "video")
        let (ra, rb) = try await (a, b)
        #expect(ra.id == rb.id)   // the second call waited for the first run
        await #expect(throws: JobRunnerError.self) { try await runner.runNow(kind: .backup, name: "nope") }
        await runner.shutdown()
        // A new agent life does not run it again today.
        let again = try JobRunner(ledgerPath: ledgerPath, nodeName: "recordingpi", tempDir: dir.file("state/tmp"),
                                  logger: Fixture.quietLogger, configuration: .init(maxRandomDelaySeconds: 0), openFiles: { [] })
        await again.reconcile(archives: [spec], backups: [])
        await again.tick(now: Date())
        #expect(await again.statuses().first?.nextRunAt.map { $0 > Date() } == true)
        await again.shutdown()
        #expect(await again.takeRuns().isEmpty)
    }

    @Test("randomized delay: a never-run job starts within min(interval/10, cap)")
    func randomDelay() async throws {
        let dir = try TempDir("jitter")
        defer { dir.cleanup() }
        let nas = try Fixture.marked(try dir.sub("nas"))
        let spec = ArchiveJobSpec(name: "photos", sources: [ArchiveSource(path: try dir.sub("src"))], target: "\(nas)/p",
                                  schedule: .every(600), settleSeconds: 0)
        let runner = try JobRunner(ledgerPath: dir.file("agent.db"), nodeName: "n", tempDir: dir.file("tmp"),
                                   logger: Fixture.quietLogger, configuration: .init(maxRandomDelaySeconds: 300), openFiles: { [] })
        await runner.reconcile(archives: [spec], backups: [])
        let next = try #require(await runner.statuses().first?.nextRunAt)
        #expect(next.timeIntervalSinceNow <= 61)
        #expect(await runner.statuses().first?.nextRunAt == next)   // stable between ticks
        await runner.tick(now: Date().addingTimeInterval(61))
        var runs: [JobRun] = []
        #expect(await waitUntil(timeout: 10) { runs += await runner.takeRuns(); return runs.count == 1 })
        #expect(runs.first?.outcome == .succeeded)
        await runner.shutdown()
    }
}
