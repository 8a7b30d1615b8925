import FleetAgent
import FleetProtocol
import Foundation
import Testing

@Suite("Archive job")
struct ArchiveJobTests {
    @Test("template root, expansion and recording stamp")
    func templates() throws {
        #expect(TargetTemplate.root(of: "/mnt/nas/video_archive/{station}/{yyyy}/{mm}/{dd}") == "/mnt/nas/video_archive")
        #expect(TargetTemplate.root(of: "/mnt/nas/v_{station}") == "/mnt/nas")
        #expect(TargetTemplate.root(of: "/mnt/nas/photos/") == "/mnt/nas/photos")
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC") ?? .current
        let stamp = try #require(TargetTemplate.recordingStamp(fileName: "ROST2_20260102T101500.mkv", calendar: cal))
        #expect(stamp.station == "ROST2")
        #expect(stamp.start == Date(timeIntervalSince1970: 1_767_348_900))
        #expect(TargetTemplate.recordingStamp(fileName: "notes.txt") == nil)
        #expect(TargetTemplate.expand("/n/{station}/{yyyy}/{mm}/{dd}", station: "A", date: stamp.start, calendar: cal) == "/n/A/2026/01/02")
        #expect(Thumbnailer.ffmpegQuality(100) == 2)
        #expect(Thumbnailer.ffmpegQuality(1) == 31)
        #expect(Thumbnailer.ffmpegQuality(75) == 9)
    }

    @Test("takes finished files only, keeps relative paths, skips hidden files, reports segments")
    func selection() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let station = try dir.sub("rec/ROST1")
        let photos = try dir.sub("photos")
        let nas = try Fixture.marked(try dir.sub("nas"))
        let old = try Fixture.makeFile("\(station)/ROST1_20260102T101500.mkv", size: 100_000, ageSeconds: 900)
        try Fixture.makeFile("\(station)/ROST1_20260102T102500.mkv", size: 100_000, ageSeconds: 800)   // open file
        try Fixture.makeFile("\(station)/ROST1_20260102T103500.mkv", size: 100_000, ageSeconds: 5)     // newest, settling
        try Fixture.makeFile("\(station)/.hidden.mkv", size: 10, ageSeconds: 900)
        let settled = try Fixture.makeFile("\(photos)/2026/01/a.bin", size: 5000, ageSeconds: 900)
        try Fixture.makeFile("\(photos)/2026/01/b.bin", size: 5000, ageSeconds: 1)
        let ledger = try Ledger(path: dir.file("state/ledger.db"))
        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: station, station: "ROST1"), ArchiveSource(path: photos)],
                                  target: "\(nas)/{station}/{yyyy}/{mm}/{dd}", schedule: .every(600), settleSeconds: 60)
        let report = ArchiveJob(spec: spec, ledger: ledger, logger: Fixture.quietLogger)
            .run(openFiles: ["\(station)/ROST1_20260102T102500.mkv"])
        let stampDate = try #require(TargetTemplate.recordingStamp(fileName: "ROST1_20260102T101500.mkv")).start
        let day = TargetTemplate.expand("{yyyy}/{mm}/{dd}", station: nil, date: stampDate)
        let target = "\(nas)/ROST1/\(day)/ROST1_20260102T101500.mkv"
        #expect(report.run.outcome == .partial)  // a.bin has no station: reported, not copied
        #expect(report.events.contains { $0.kind == "archive.skipped" })
        #expect(try FileIO.sha256(of: target) == old)
        #expect(Fixture.files(under: nas).count == 1)
        #expect(report.segments.count == 1)
        #expect(report.segments.first?.archivePath == target)
        #expect(report.segments.first?.sha256 == old)
        #expect(report.backlog.files == 3)  // settling segment, a.bin, b.bin (open file excluded)
        _ = settled

        // With a plain target the photo keeps its relative path.
        let spec2 = ArchiveJobSpec(name: "photos", sources: [ArchiveSource(path: photos)], target: "\(nas)/photos",
                                   schedule: .every(600), settleSeconds: 60)
        let r2 = ArchiveJob(spec: spec2, ledger: ledger, logger: Fixture.quietLogger).run(openFiles: [])
        #expect(r2.run.outcome == .succeeded)
        #expect(try FileIO.sha256(of: "\(nas)/photos/2026/01/a.bin") == settled)
        #expect(!FileIO.exists("\(nas)/photos/2026/01/b.bin"))
        // A second run sends nothing again.
        let r3 = ArchiveJob(spec: spec2, ledger: ledger, logger: Fixture.quietLogger).run(openFiles: [])
        #expect(r3.copiedFiles == 0)
        #expect(r3.run.outcome == .succeeded)
    }

    @Test("missing marker: clear error, nothing copied, nothing deleted")
    func missingMarker() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let src = try dir.sub("src")
        let nas = try dir.sub("mnt/nas")  // an empty local folder: the NAS is not mounted
        var manifest: [String: String] = [:]
        for i in 0..<3 { let p = "\(src)/ROST1_2026010\(i + 1)T000000.mkv"; manifest[p] = try Fixture.makeFile(p, size: 20_000, ageSeconds: 90_000) }
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let spec = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: src, station: "ROST1")],
                                  target: "\(nas)/video/{station}", schedule: .every(600), keepLocalSeconds: 0, settleSeconds: 0)
        let report = ArchiveJob(spec: spec, ledger: ledger, logger: Fixture.quietLogger).run(openFiles: [])
        #expect(report.run.outcome == .failed)
        #expect(report.run.error?.contains("target \(nas)/video has no .stationfleet-target marker: is the NAS mounted?") == true)
        #expect(Fixture.files(under: dir.file("mnt")).isEmpty)
        #expect(report.events.contains { $0.kind == "archive.failed" })
        #expect(Fixture.files(under: src).count == 3)
        try Fixture.expectNothingLost(manifest, ledger: ledger, job: "video")
    }

    @Test("thumbnails of archived photos via ffmpeg")
    func thumbnails() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let src = try dir.sub("foto/2026/01/02")
        let nas = try Fixture.marked(try dir.sub("nas"))
        let made = try shell("ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=640x360 -frames:v 1 '\(src)/sky1.png'")
        #expect(made.status == 0)
        Fixture.setAge("\(src)/sky1.png", 600)
        let ledger = try Ledger(path: dir.file("ledger.db"))
        let spec = ArchiveJobSpec(name: "photos", sources: [ArchiveSource(path: dir.file("foto"))], target: "\(nas)/ruwe_foto",
                                  schedule: .every(3600), settleSeconds: 60,
                                  thumbnails: ThumbnailSpec(width: 320, height: 180, quality: 75, target: "\(nas)/thumbnails"))
        let report = ArchiveJob(spec: spec, ledger: ledger, logger: Fixture.quietLogger).run(openFiles: [])
        #expect(report.run.outcome == .succeeded)
        let thumb = "\(nas)/thumbnails/2026/01/02/sky1.jpg"
        let probe = try shell("ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height -of csv=p=0 '\(thumb)'")
        #expect(probe.output == "mjpeg,320,180")
        #expect(Fixture.partials(under: nas).isEmpty)
    }
}
