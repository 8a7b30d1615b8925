import FleetAgent
import FleetProtocol
import Foundation
import GRDB
import Testing

@Suite("Backups", .serialized)
struct BackupTests {
    @Test("SQLite under continuous writes: backup passes integrity_check with a row count in the writer's range")
    func sqliteUnderWrites() async throws {
        let dir = try TempDir("backup")
        defer { dir.cleanup() }
        let dbPath = dir.file("birds.db")
        let pool = try DatabasePool(path: dbPath)
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE detection (id INTEGER PRIMARY KEY, species TEXT NOT NULL, payload BLOB NOT NULL)")
            for i in 0..<20_000 {
                try db.execute(sql: "INSERT INTO detection (species, payload) VALUES (?, randomblob(200))", arguments: ["s\(i % 50)"])
            }
        }
        let nas = try Fixture.marked(try dir.sub("nas"))
        let stop = LockedValue(false)
        let inserted = LockedValue(20_000)
        let writerDone = LockedValue(false)
        let writer = Thread {
            defer { writerDone.set(true) }
            var n = 0
            while !stop.get() && n < 1_000_000 {
                do {
                    try pool.write { db in
                        for _ in 0..<20 { try db.execute(sql: "INSERT INTO detection (species, payload) VALUES ('x', randomblob(200))") }
                    }
                } catch { return }
                n += 20
                inserted.set(20_000 + n)
            }
        }
        writer.start()
        defer { stop.set(true) }
        #expect(await waitUntil(timeout: 10) { inserted.get() > 21_000 })
        let before = inserted.get()
        let job = BackupJob(spec: BackupJobSpec(name: "birdnet-db", kind: .sqlite, sourcePath: dbPath, target: "\(nas)/db-backups/{node}",
                                                schedule: .every(3600), keep: 48),
                            node: "emsn-zolder", tempDir: try dir.sub("state/tmp"), logger: Fixture.quietLogger)
        let report = job.run()
        let after = inserted.get()
        stop.set(true)
        #expect(await waitUntil(timeout: 10) { writerDone.get() })
        #expect(report.run.outcome == .succeeded, "\(report.run.error ?? "")")
        let artifact = try #require(report.artifactPath)
        #expect((artifact as NSString).lastPathComponent.hasPrefix("birdnet-db-emsn-zolder-"))
        #expect(artifact.hasSuffix(".db.zst"))
        #expect(artifact.hasPrefix("\(nas)/db-backups/emsn-zolder/"))
        let sidecar = try String(contentsOfFile: artifact + ".sha256", encoding: .utf8)
        #expect(sidecar == "\(try FileIO.sha256(of: artifact))  \((artifact as NSString).lastPathComponent)\n")
        #expect(Fixture.files(under: dir.file("state/tmp")).isEmpty)   // local snapshot removed
        let restored = dir.file("restored.db")
        #expect(try shell("zstd -q -d -c '\(artifact)' > '\(restored)'").status == 0)
        let check = try DatabaseQueue(path: restored)
        let (integrity, rows) = try await check.read { db in
            (try String.fetchOne(db, sql: "PRAGMA integrity_check"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM detection") ?? -1)
        }
        #expect(integrity == "ok")
        #expect(rows >= before - 20 && rows <= after, "rows \(rows) not in [\(before), \(after)]")
    }

    @Test("image backup of a 1 GiB file streams through zstd and restores byte-identical")
    func imageRoundTrip() throws {
        let dir = try TempDir("image")
        defer { dir.cleanup() }
        let image = dir.file("sd.img")
        try Self.makeImage(image, mebibytes: 1024)
        let nas = try Fixture.marked(try dir.sub("nas"))
        let progress = LockedValue<[UInt64]>([])
        let job = BackupJob(spec: BackupJobSpec(name: "sd-image", kind: .image, sourcePath: image, compress: "zstd",
                                                target: "\(nas)/sd-backups/{node}", schedule: .every(604_800), keep: 7),
                            node: "emsn-berging", tempDir: dir.file("tmp"), logger: Fixture.quietLogger,
                            progress: { p in progress.update { $0.append(p.rawBytes) } })
        let report = job.run()
        #expect(report.run.outcome == .succeeded, "\(report.run.error ?? "")")
        #expect(report.rawBytes == 1 << 30)
        let artifact = try #require(report.artifactPath)
        #expect(artifact.hasSuffix(".img.zst"))
        #expect(report.run.bytes < report.rawBytes * 7 / 10)   // compressible, but not trivially
        #expect(report.run.bytes > report.rawBytes / 10)
        let original = try FileIO.sha256(of: image)
        #expect(report.rawSHA256 == original)
        let restored = try shell("zstd -q -d -c '\(artifact)' | sha256sum | cut -d' ' -f1")
        #expect(restored.output == original)
        #expect(progress.get().last == 1 << 30)
        #expect(!FileIO.exists(dir.file("tmp")))   // no local temp space used
    }

    @Test("gzip image, keep:N pruning, unreadable source and missing marker")
    func pruningAndFailures() throws {
        let dir = try TempDir("prune")
        defer { dir.cleanup() }
        let image = dir.file("small.img")
        try Self.makeImage(image, mebibytes: 4)
        let nas = try Fixture.marked(try dir.sub("nas"))
        let target = "\(nas)/sd/{node}"
        let spec = BackupJobSpec(name: "sd-image", kind: .image, sourcePath: image, compress: "gzip", target: target,
                                 schedule: .every(3600), keep: 2)
        let job = BackupJob(spec: spec, node: "n1", tempDir: dir.file("tmp"), logger: Fixture.quietLogger)
        let other = "\(nas)/sd/n1/other-n1-20200101T000000.img.gz"
        try Fixture.makeFile(other, size: 10)
        let base = Date(timeIntervalSince1970: 1_767_225_600)
        var artifacts: [String] = []
        for i in 0..<4 {
            let r = job.run(now: base.addingTimeInterval(Double(i) * 3600))
            #expect(r.run.outcome == .succeeded, "\(r.run.error ?? "")")
            artifacts.append(try #require(r.artifactPath))
        }
        let restored = try shell("gzip -d -c '\(artifacts[3])' | sha256sum | cut -d' ' -f1")
        #expect(restored.output == (try FileIO.sha256(of: image)))
        let left = Fixture.files(under: "\(nas)/sd/n1").filter { $0.hasPrefix("sd-image-n1-") && $0.hasSuffix(".img.gz") }
        #expect(left == artifacts.suffix(2).map { ($0 as NSString).lastPathComponent })
        #expect(!FileIO.exists(artifacts[0] + ".sha256"))
        #expect(FileIO.exists(other))
        #expect(Fixture.partials(under: nas).isEmpty)

        let missing = BackupJob(spec: BackupJobSpec(name: "dev", kind: .image, sourcePath: dir.file("no-such-device"), target: target,
                                                    schedule: .every(3600)), node: "n1", tempDir: dir.file("tmp"), logger: Fixture.quietLogger).run()
        #expect(missing.run.outcome == .failed)
        #expect(missing.run.error?.contains("cannot read backup source") == true)
        let notFile = BackupJob(spec: BackupJobSpec(name: "dev", kind: .image, sourcePath: dir.path, target: target,
                                                    schedule: .every(3600)), node: "n1", tempDir: dir.file("tmp"), logger: Fixture.quietLogger).run()
        #expect(notFile.run.outcome == .failed)
        let noDB = BackupJob(spec: BackupJobSpec(name: "db", kind: .sqlite, sourcePath: dir.file("none.db"), target: target,
                                                 schedule: .every(3600)), node: "n1", tempDir: dir.file("tmp"), logger: Fixture.quietLogger).run()
        #expect(noDB.run.outcome == .failed)
        #expect(!FileIO.exists(dir.file("none.db")))
        let unmounted = try dir.sub("mnt/nas2")
        let noMarker = BackupJob(spec: BackupJobSpec(name: "sd-image", kind: .image, sourcePath: image, target: "\(unmounted)/sd/n1",
                                                     schedule: .every(3600)), node: "n1", tempDir: dir.file("tmp"), logger: Fixture.quietLogger).run()
        #expect(noMarker.run.outcome == .failed)
        #expect(noMarker.run.error?.contains("is the NAS mounted?") == true)
        #expect(Fixture.files(under: unmounted, includeHidden: true).isEmpty)
    }

    /// A 64 MiB block (each MiB: 512 KiB random + 512 KiB zeros) repeated to `mebibytes`.
    static func makeImage(_ path: String, mebibytes: Int) throws {
        let urandom = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? urandom.close() }
        var block = Data()
        let blockMiB = min(64, mebibytes)
        for _ in 0..<blockMiB {
            block.append(try urandom.read(upToCount: 512 * 1024) ?? Data())
            block.append(Data(count: 512 * 1024))
        }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? out.close() }
        for _ in 0..<(mebibytes / blockMiB) { try out.write(contentsOf: block) }
    }
}
