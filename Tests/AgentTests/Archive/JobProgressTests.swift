import FleetAgent
import FleetProtocol
import Foundation
import GRDB
import Testing

@Suite("Job progress")
struct JobProgressTests {
    @Test("tracker: phases restart bytes, files count on, rate and ETA from the phase's time")
    func tracker() {
        let now = LockedValue(Date(timeIntervalSince1970: 1000))
        let tracker = JobProgressTracker(startedAt: now.get(), clock: { now.get() })
        tracker.begin(phase: "copy", bytesTotal: 1000, filesTotal: 4)
        #expect(tracker.snapshot().bytesPerSecond == nil)  // nothing measured yet
        now.set(now.get() + 2)
        tracker.fileDone(bytes: 250)
        tracker.fileDone(bytes: 250)
        let mid = tracker.snapshot()
        #expect(mid.phase == "copy" && mid.filesDone == 2 && mid.filesTotal == 4)
        #expect(mid.bytesDone == 500 && mid.bytesTotal == 1000)
        #expect(mid.bytesPerSecond == 250)
        #expect(mid.etaSeconds == 2)
        #expect(mid.fraction == 0.5)
        #expect(mid.startedAt == Date(timeIntervalSince1970: 1000))
        tracker.begin(phase: "verify", bytesTotal: 100)
        let verify = tracker.snapshot()
        #expect(verify.bytesDone == 0 && verify.filesDone == 2 && verify.bytesTotal == 100)
        tracker.setBytes(10, total: 200)
        #expect(tracker.snapshot().bytesTotal == 200)
    }

    @Test("image backup: the compress phase climbs to the image's size, then verify; SQLite: snapshot sized by its pages")
    func backupPhases() throws {
        let dir = try TempDir("progress")
        defer { dir.cleanup() }
        let image = dir.file("sd.img")
        try BackupTests.makeImage(image, mebibytes: 8)
        let nas = try Fixture.marked(try dir.sub("nas"))
        let seen = LockedValue<[JobProgress]>([])
        let tracker = JobProgressTracker()
        let job = BackupJob(spec: BackupJobSpec(name: "sd", kind: .image, sourcePath: image, compress: "zstd",
                                                target: "\(nas)/sd", schedule: .every(3600)),
                            node: "n1", tempDir: dir.file("tmp"), logger: Fixture.quietLogger,
                            progress: { _ in seen.update { $0.append(tracker.snapshot()) } }, tracker: tracker)
        let report = job.run()
        #expect(report.run.outcome == .succeeded, "\(report.run.error ?? "")")
        let compress = seen.get().filter { $0.phase == "compress" }
        #expect(compress.last?.bytesDone == 8 << 20)
        #expect(compress.allSatisfy { $0.bytesTotal == 8 << 20 })
        let end = tracker.snapshot()
        #expect(end.phase == "verify" && end.fraction == 1 && end.filesDone == 1 && end.filesTotal == 1)

        let db = dir.file("birds.db")
        let queue = try DatabaseQueue(path: db)
        try queue.write { try $0.execute(sql: "CREATE TABLE t(x); INSERT INTO t VALUES (randomblob(100000))") }
        try queue.close()
        let size = try #require(FileIO.stat(db)?.size)
        let phases = LockedValue<[String: UInt64]>([:])
        let dbTracker = JobProgressTracker()
        let dbJob = BackupJob(spec: BackupJobSpec(name: "db", kind: .sqlite, sourcePath: db, target: "\(nas)/db",
                                                  schedule: .every(3600)),
                              node: "n1", tempDir: dir.file("tmp"), logger: Fixture.quietLogger,
                              progress: { _ in
                                  let p = dbTracker.snapshot()
                                  phases.update { $0[p.phase] = p.bytesTotal ?? 0 }
                              }, tracker: dbTracker)
        #expect(dbJob.run().run.outcome == .succeeded)
        #expect(phases.get()["compress"] == size)  // the snapshot's size
        #expect(dbTracker.snapshot().phase == "verify")
    }

    @Test("archive: totals from the file list up front, every file counted")
    func archiveTotals() throws {
        let dir = try TempDir("progress-archive")
        defer { dir.cleanup() }
        let photos = try dir.sub("photos")
        let nas = try Fixture.marked(try dir.sub("nas"))
        for i in 0..<5 { try Fixture.makeFile("\(photos)/p\(i).bin", size: 1000 * (i + 1), ageSeconds: 900) }
        let ledger = try Ledger(path: dir.file("state/ledger.db"))
        let spec = ArchiveJobSpec(name: "photos", sources: [ArchiveSource(path: photos)], target: "\(nas)/photos",
                                  schedule: .every(600), settleSeconds: 60)
        let tracker = JobProgressTracker()
        let report = ArchiveJob(spec: spec, ledger: ledger, logger: Fixture.quietLogger, tracker: tracker).run(openFiles: [])
        #expect(report.run.outcome == .succeeded)
        let end = tracker.snapshot()
        #expect(end.phase == "copy")
        #expect(end.filesDone == 5 && end.filesTotal == 5)
        #expect(end.bytesDone == 15_000 && end.bytesTotal == 15_000)
    }
}
