@testable import FleetAgent
import FleetProtocol
import Foundation
import Testing

/// A corrupt ledger never stops the agent: it is moved aside, a fresh one starts, and a fresh
/// ledger can never lead to deleting a file that is not verified on the target.
@Suite("Ledger recovery", .serialized)
struct LedgerRecoveryTests {
    static func garbage(_ path: String) throws {
        try FileIO.makeDirectories((path as NSString).deletingLastPathComponent)
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: URL(fileURLWithPath: path))
        try Data("not a wal".utf8).write(to: URL(fileURLWithPath: path + "-wal"))
    }

    @Test("garbage ledger.sqlite: moved aside (with any -wal/-shm), a fresh ledger opens, the old bytes are kept")
    func garbageIsMovedAside() throws {
        let dir = try TempDir("ledger-garbage")
        defer { dir.cleanup() }
        let path = dir.file("state/ledger.sqlite")
        try Self.garbage(path)
        let original = try FileIO.sha256(of: path)
        #expect(throws: LedgerError.self) { _ = try Ledger(path: path) }

        let opened = try Ledger.openRecovering(path: path, now: Date(timeIntervalSince1970: 1_800_000_000))
        let aside = try #require(opened.movedAside)
        #expect(aside == path + ".corrupt-20270115T080000Z")
        #expect(try FileIO.sha256(of: aside) == original, "the corrupt ledger is kept for inspection")
        // SQLite may already have discarded the garbage -wal while failing to open; any that
        // remained went aside too, never into the fresh ledger.
        #expect(FileManager.default.contents(atPath: path + "-wal") != Data("not a wal".utf8))
        try opened.ledger.recordRunStarted(kind: "archive", name: "video", at: Date())
        #expect(try opened.ledger.jobState(kind: "archive", name: "video")?.lastRunAt != nil)

        let again = try Ledger.openRecovering(path: path)
        #expect(again.movedAside == nil, "a healthy ledger is opened as is")
    }

    @Test("job runner on a garbage ledger: ledger.reset event, files re-copied and verified before any cleanup, nothing lost")
    func runnerRecopiesBeforeCleanup() async throws {
        let dir = try TempDir("ledger-runner")
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try Fixture.marked(try dir.sub("nas"))
        var manifest: [String: String] = [:]
        for i in 1...3 {
            let p = "\(src)/ROST1_2026010\(i)T000000.mkv"
            manifest[p] = try Fixture.makeFile(p, size: 40_000, ageSeconds: 3 * 86_400)
        }
        // What the old ledger may have claimed was archived: one target copy is damaged.
        try FileIO.makeDirectories("\(nas)/ROST1")
        try Data(repeating: 0, count: 40_000).write(to: URL(fileURLWithPath: "\(nas)/ROST1/ROST1_20260101T000000.mkv"))
        let ledgerPath = dir.file("state/ledger.sqlite")
        try Self.garbage(ledgerPath)

        let runner = try JobRunner(ledgerPath: ledgerPath, nodeName: "pi-1", tempDir: dir.file("state/tmp"),
                                   logger: Fixture.quietLogger, configuration: .init(maxRandomDelaySeconds: 0), openFiles: { [] })
        let events = await runner.takeEvents()
        let reset = try #require(events.first { $0.kind == "ledger.reset" })
        #expect(reset.message.contains(ledgerPath + ".corrupt-"))

        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: src, station: "ROST1")], target: "\(nas)/{station}",
                                  schedule: .every(600), keepLocalSeconds: 86_400, settleSeconds: 0)
        await runner.reconcile(archives: [spec], backups: [])
        let run = try await runner.runNow(kind: .archive, name: "video")
        #expect(run.outcome == .succeeded)
        let ledger = try Ledger(path: ledgerPath)
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
        for (path, sha) in manifest {
            let entry = try #require(try ledger.entry(job: "video", sourcePath: path))
            #expect(entry.verifiedAt != nil)
            #expect(try FileIO.sha256(of: entry.targetPath) == sha, "the damaged target was copied again")
        }
    }

    @Test("ledger cannot be opened even afresh (read-only state dir): jobs fail clearly, the agent's runtimes still start",
          .enabled(if: TmpfsMount.available, "needs root to mount tmpfs"))
    func readOnlyStateDir() async throws {
        let dir = try TempDir("ledger-ro")
        defer { dir.cleanup() }
        let mount = try TmpfsMount(in: dir, name: "state", sizeKiB: 1024)
        defer { mount.unmount() }
        try Self.garbage(mount.path + "/ledger.sqlite")
        try FileIO.makeDirectories(mount.path + "/recorders")
        try FileIO.makeDirectories(mount.path + "/logs")
        try mount.remountReadOnly()
        #expect(throws: LedgerError.self) { _ = try Ledger.openRecovering(path: mount.path + "/ledger.sqlite") }

        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: mount.path, statusListen: nil)
        let runtimes = try AgentRuntimes.make(configuration: configuration, logger: Fixture.quietLogger)
        #expect(runtimes.recorders != nil)
        let jobs = try #require(runtimes.jobs)
        #expect(jobs is UnavailableJobs)
        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: dir.path)], target: "\(dir.path)/nas",
                                  schedule: .every(600))
        await jobs.reconcile(archives: [spec], backups: [])
        await #expect(throws: JobRunnerError.self) { _ = try await jobs.runJob(kind: .archive, name: "video") }
        #expect(await jobs.takeEvents().map(\.kind) == ["ledger.unavailable"])
        #expect(await jobs.jobStatuses().first?.lastError?.contains("ledger") == true)
    }
}
