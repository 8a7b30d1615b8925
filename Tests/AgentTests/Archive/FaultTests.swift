import FleetAgent
import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Faults", .serialized)
struct FaultTests {
    func spec(_ src: String, _ target: String, keepLocal: Int? = 0) -> ArchiveJobSpec {
        ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: src, station: "ROST1")], target: target,
                       schedule: .every(600), keepLocalSeconds: keepLocal, settleSeconds: 0)
    }
    var noBrake: ArchiveConfiguration { ArchiveConfiguration(safetyBrakeShare: 1.0) }

    @Test("target full (2 MiB tmpfs): clear error, temp removed, nothing deleted", .enabled(if: TmpfsMount.available, "needs root to mount tmpfs"))
    func targetFull() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let mount = try TmpfsMount(in: dir, name: "nas", sizeKiB: 2048)
        defer { mount.unmount() }
        try ArchiveJob.markTarget(mount.path)
        let src = try dir.sub("src")
        var manifest: [String: String] = [:]
        for i in 1...3 { let p = "\(src)/ROST1_2026010\(i)T000000.mkv"; manifest[p] = try Fixture.makeFile(p, size: 900 * 1024, ageSeconds: Double(10_000 - i)) }
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let report = ArchiveJob(spec: spec(src, "\(mount.path)/{station}"), ledger: ledger, configuration: noBrake,
                                logger: Fixture.quietLogger).run(openFiles: [])
        #expect(report.run.outcome == .failed)
        #expect(report.run.error?.contains("target is full") == true)
        #expect(report.deletedFiles == 0)
        #expect(Fixture.partials(under: mount.path).isEmpty)
        #expect(Fixture.files(under: src).count == 3)
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
    }

    @Test("read-only target: clear error, nothing deleted", .enabled(if: TmpfsMount.available, "needs root to mount tmpfs"))
    func readOnlyTarget() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let mount = try TmpfsMount(in: dir, name: "nas", sizeKiB: 4096)
        defer { mount.unmount() }
        try ArchiveJob.markTarget(mount.path)
        let src = try dir.sub("src")
        var manifest: [String: String] = [:]
        let first = "\(src)/ROST1_20260101T000000.mkv"
        manifest[first] = try Fixture.makeFile(first, size: 100_000, ageSeconds: 10_000)
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let ok = ArchiveJob(spec: spec(src, "\(mount.path)/{station}", keepLocal: nil), ledger: ledger,
                            logger: Fixture.quietLogger).run(openFiles: [])
        #expect(ok.run.outcome == .succeeded)
        try mount.remountReadOnly()
        for i in 2...3 { let p = "\(src)/ROST1_2026010\(i)T000000.mkv"; manifest[p] = try Fixture.makeFile(p, size: 100_000, ageSeconds: 9_000) }
        let report = ArchiveJob(spec: spec(src, "\(mount.path)/{station}"), ledger: ledger, configuration: noBrake,
                                logger: Fixture.quietLogger).run(openFiles: [])
        #expect(report.run.outcome == .failed)
        #expect(report.run.error?.contains("read-only") == true)
        #expect(report.deletedFiles == 0)
        #expect(Fixture.files(under: src).count == 3)  // even the verified one stays: the run failed
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
    }

    @Test("agent SIGKILLed at 20 random moments, then a clean run: all verified, no partials, no duplicates")
    func crashLoop() async throws {
        let helper = builtExecutable("archive-crash-helper")
        try #require(FileManager.default.isExecutableFile(atPath: helper), "build the package first: \(helper)")
        let dir = try TempDir()
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try Fixture.marked(try dir.sub("nas"))
        var manifest: [String: String] = [:]
        for i in 0..<40 {
            let p = String(format: "%@/d%d/ROST1_202601%02dT000000.mkv", src, i % 3, i + 1)
            manifest[p] = try Fixture.makeFile(p, size: 4_000_000 + i * 10_000, ageSeconds: Double(100_000 - i))
        }
        let ledgerPath = dir.file("state/ledger.db")
        let args = ["--ledger", ledgerPath, "--source", src, "--target", "\(nas)/{station}/{yyyy}",
                    "--station", "ROST1", "--keep-local", "0", "--brake-share", "1"]
        let deadline = Date().addingTimeInterval(60)
        var kills = 0
        var attempts = 0
        var leftPartials = 0
        // Up to 20 kills that land mid-run (at most 60 attempts, 60 s); the "recorder" adds two
        // segments before every restart so that each run has work to be killed in.
        while kills < 20 && attempts < 60 && Date() < deadline {
            attempts += 1
            for j in 0..<2 {
                let p = String(format: "%@/d%d/ROST1_2026%02d%02dT000000.mkv", src, j, 2 + attempts / 28, 1 + attempts % 28)
                manifest[p] = try Fixture.makeFile(p, size: 4_000_000, ageSeconds: 50_000)
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: helper)
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...150)))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            if !Fixture.partials(under: nas).isEmpty { leftPartials += 1 }
        }
        print("crash test: \(kills) kills landed mid-run in \(attempts) attempts, \(leftPartials) left a .partial file behind")
        #expect(leftPartials >= 1, "no kill interrupted a copy")
        #expect(kills >= 10, "too few kills landed mid-run (\(kills) of \(attempts))")
        let final = try shell("'\(helper)' " + args.map { "'\($0)'" }.joined(separator: " "))
        #expect(final.status == 0, "final run: \(final.output)")
        let ledger = try Ledger(path: ledgerPath)
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "crash")
        #expect(Fixture.partials(under: nas).isEmpty)
        let targets = Fixture.files(under: nas)
        #expect(targets.count == manifest.count)  // no duplicates
        let entries = try ledger.allEntries(job: "crash")
        #expect(entries.count == manifest.count)
        #expect(entries.allSatisfy { $0.verifiedAt != nil })
        for e in entries { #expect(try FileIO.sha256(of: e.targetPath) == manifest[e.sourcePath]) }
        #expect(Fixture.files(under: src).isEmpty)  // keepLocal 0: everything verified went
    }

    @Test("a flipped byte in a target copy is detected and re-copied before the local file is deleted")
    func flippedByte() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try Fixture.marked(try dir.sub("nas"))
        var manifest: [String: String] = [:]
        for i in 1...3 { let p = "\(src)/ROST1_2026010\(i)T000000.mkv"; manifest[p] = try Fixture.makeFile(p, size: 300_000, ageSeconds: 10_000) }
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let keep = ArchiveJob(spec: spec(src, "\(nas)/{station}", keepLocal: nil), ledger: ledger, logger: Fixture.quietLogger)
        #expect(keep.run(openFiles: []).run.outcome == .succeeded)
        let victim = "\(nas)/ROST1/ROST1_20260102T000000.mkv"
        try flip(victim, at: 1234)
        // verifyTargets finds it and copies again.
        let check = try keep.verifyTargets()
        #expect(check.checked == 3 && check.mismatched == 1)
        #expect(try FileIO.sha256(of: victim) == manifest["\(src)/ROST1_20260102T000000.mkv"])
        // Flip again; cleanup re-hashes right before deleting and re-copies first.
        try flip(victim, at: 99)
        let clean = ArchiveJob(spec: spec(src, "\(nas)/{station}", keepLocal: 0), ledger: ledger, configuration: noBrake,
                               logger: Fixture.quietLogger).run(openFiles: [])
        #expect(clean.events.contains { $0.kind == "archive.target-corrupt" })
        #expect(clean.deletedFiles == 3)
        #expect(try FileIO.sha256(of: victim) == manifest["\(src)/ROST1_20260102T000000.mkv"])
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
    }

    func flip(_ path: String, at offset: Int) throws {
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? h.close() }
        try h.seek(toOffset: UInt64(offset))
        let byte = try h.read(upToCount: 1) ?? Data([0])
        try h.seek(toOffset: UInt64(offset))
        try h.write(contentsOf: Data([byte[0] ^ 0xFF]))
    }
}

@Suite("Unreadable sources", .serialized)
struct UnreadableTests {
    @Test("an unreadable folder is skipped and reported, the rest is archived (run as an unprivileged user)",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv"))
    func unreadableFolder() throws {
        let helper = builtExecutable("archive-crash-helper")
        try #require(FileManager.default.isExecutableFile(atPath: helper))
        let dir = try TempDir("unreadable")
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try Fixture.marked(try dir.sub("nas"))
        let state = try dir.sub("state")
        let good = try Fixture.makeFile("\(src)/ok/a.jpg", size: 1000)
        try Fixture.makeFile("\(src)/private/b.jpg", size: 1000)
        for p in [dir.path, src, "\(src)/ok"] { chmod(p, 0o755) }
        chmod("\(src)/ok/a.jpg", 0o644)
        chmod("\(src)/private", 0o700)
        for p in [nas, state] { chmod(p, 0o777) }
        let r = try shell("setpriv --reuid=65534 --regid=65534 --clear-groups '\(helper)' --ledger '\(state)/l.db' --source '\(src)' --target '\(nas)/photos'")
        #expect(r.output.hasPrefix("partial copied=1"), "\(r.output)")
        #expect(r.output.contains("archive.unreadable"))
        #expect(try FileIO.sha256(of: "\(nas)/photos/ok/a.jpg") == good)
        #expect(FileIO.exists("\(src)/private/b.jpg"))
    }
}
