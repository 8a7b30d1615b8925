import FleetAgent
import FleetProtocol
import Foundation
import Testing

@Suite("Cleanup", .serialized)
struct CleanupTests {
    @Test("deletes only verified files older than keepLocal; unverified files never")
    func onlyVerifiedAndOld() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try Fixture.marked(try dir.sub("nas"))
        var manifest: [String: String] = [:]
        var old: [String] = []
        for i in 1...4 {
            let p = "\(src)/ROST1_2026010\(i)T000000.mkv"
            manifest[p] = try Fixture.makeFile(p, size: 50_000, ageSeconds: 3 * 86_400)
            old.append(p)
        }
        for i in 1...6 { let p = "\(src)/ROST1_2026020\(i)T000000.mkv"; manifest[p] = try Fixture.makeFile(p, size: 50_000, ageSeconds: 600) }
        let orphan = "\(src)/orphan.bin"   // cannot be archived: no station for {station}
        manifest[orphan] = try Fixture.makeFile(orphan, size: 50_000, ageSeconds: 3 * 86_400)
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: src)], target: "\(nas)/{station}",
                                  schedule: .every(600), keepLocalSeconds: 86_400, settleSeconds: 0)
        let report = ArchiveJob(spec: spec, ledger: ledger, logger: Fixture.quietLogger).run(openFiles: [])
        #expect(report.deletedFiles == 4)
        for p in old { #expect(!FileIO.exists(p)) }
        #expect(FileIO.exists(orphan))
        #expect(Fixture.files(under: src).count == 7)
        #expect(report.backlog.files == 1)
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
    }

    @Test("safety brake stops a mass deletion and reports it")
    func safetyBrake() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try Fixture.marked(try dir.sub("nas"))
        var manifest: [String: String] = [:]
        for i in 10..<22 { let p = "\(src)/ROST1_202601\(i)T000000.mkv"; manifest[p] = try Fixture.makeFile(p, size: 20_000, ageSeconds: 30 * 86_400) }
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: src, station: "ROST1")], target: "\(nas)/{station}",
                                  schedule: .every(600), keepLocalSeconds: 86_400, settleSeconds: 0)
        let report = ArchiveJob(spec: spec, ledger: ledger, logger: Fixture.quietLogger).run(openFiles: [])
        #expect(report.copiedFiles == 12)
        #expect(report.deletedFiles == 0)
        #expect(report.events.contains { $0.kind == "archive.cleanup-brake" && $0.message.contains("12 of 12") })
        #expect(Fixture.files(under: src).count == 12)
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
    }

    @Test("low free space deletes the oldest verified files before keepLocal, only as many as needed",
          .enabled(if: TmpfsMount.available, "needs root to mount tmpfs"))
    func emergency() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let mount = try TmpfsMount(in: dir, name: "sd", sizeKiB: 4096)
        defer { mount.unmount() }
        let nas = try Fixture.marked(try dir.sub("nas"))
        var manifest: [String: String] = [:]
        var paths: [String] = []
        for i in 1...7 {   // 7 × 512 KiB of 4 MiB: ~12 % free
            let p = "\(mount.path)/ROST1_2026010\(i)T000000.mkv"
            manifest[p] = try Fixture.makeFile(p, size: 512 * 1024 - 4096, ageSeconds: Double(10_000 - i * 100))
            paths.append(p)
        }
        let filler = "\(mount.path)/zz-unarchived.bin"  // settling: never deleted
        manifest[filler] = try Fixture.makeFile(filler, size: 300 * 1024, ageSeconds: 0)
        let free = try #require(DiskSpace.of(mount.path))
        #expect(free.freePercent < 10)
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: mount.path, station: "ROST1")], target: "\(nas)/{station}",
                                  schedule: .every(600), keepLocalSeconds: 86_400, settleSeconds: 60)
        let report = ArchiveJob(spec: spec, ledger: ledger, logger: Fixture.quietLogger).run(openFiles: [])
        #expect(report.events.contains { $0.kind == "archive.emergency-cleanup" })
        #expect(report.deletedFiles >= 1 && report.deletedFiles <= 2)
        #expect(!FileIO.exists(paths[0]))          // oldest first
        #expect(FileIO.exists(paths[6]))
        #expect(FileIO.exists(filler))
        #expect(try #require(DiskSpace.of(mount.path)).freePercent >= 10)
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
    }

    @Test("disk-full forecast from samples")
    func forecast() {
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let gb: UInt64 = 1_000_000_000
        let samples = (0..<5).map { DiskSample(time: t0.addingTimeInterval(Double($0) * 3600), freeBytes: 20 * gb - UInt64($0) * gb) }
        let h = DiskForecast.hoursUntilFull(samples: samples, currentFree: 16 * gb)
        #expect(h.map { abs($0 - 16) < 0.01 } == true)
        // A cleanup in between (free grows) does not hide the write rate.
        var withCleanup = samples
        withCleanup.append(DiskSample(time: t0.addingTimeInterval(5 * 3600), freeBytes: 19 * gb))
        withCleanup.append(DiskSample(time: t0.addingTimeInterval(6 * 3600), freeBytes: 18 * gb))
        #expect(DiskForecast.hoursUntilFull(samples: withCleanup, currentFree: 18 * gb).map { abs($0 - 18) < 0.01 } == true)
        #expect(DiskForecast.hoursUntilFull(samples: [samples[0]], currentFree: 1) == nil)
        let flat = (0..<3).map { DiskSample(time: t0.addingTimeInterval(Double($0) * 600), freeBytes: gb) }
        #expect(DiskForecast.hoursUntilFull(samples: flat, currentFree: gb) == nil)
    }
}
