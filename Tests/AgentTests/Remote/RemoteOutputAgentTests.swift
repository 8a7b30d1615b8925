import Foundation
import FleetProtocol
import Testing
@testable import FleetAgent

@Suite struct RemoteOutputAgentTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remote-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func tailsAcrossRotationsAndFollowsNewLinesAndARotation() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/recorder-ROST1.log"
        let old = Date().addingTimeInterval(-7200)
        try "\(LogLines.stamp(old)) [supervisor] old line\n".write(toFile: path + ".1", atomically: true, encoding: .utf8)
        try (1...5).map { "\(LogLines.stamp(Date())) line \($0)\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        var files = StationLogFiles(path: path)
        #expect(files.tail(3, since: nil).map { $0.components(separatedBy: " ").last } == ["3", "4", "5"])
        #expect(files.tail(100, since: nil).count == 6, "the rotated file is read too")
        #expect(files.tail(100, since: 3600).count == 5, "--since leaves out the old line")
        #expect(files.readNew().isEmpty)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\(LogLines.stamp(Date())) line 6\npartial".utf8))
        #expect(files.readNew().count == 1, "only complete lines")
        try handle.write(contentsOf: Data(" end\n".utf8))
        try handle.close()
        #expect(files.readNew().first?.hasSuffix("partial end") == true)
        // Rotation: the file is renamed and a new one begins.
        try FileManager.default.removeItem(atPath: path + ".1")
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try "fresh\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(files.readNew() == ["fresh"])
    }

    @Test func ringIsBoundedRedactedAndReadsAfterASequenceNumber() {
        let ring = AgentLogRing(maxLines: 3, maxBytes: 4096)
        for index in 1...5 { ring.append("\(LogLines.stamp(Date())) line \(index) rtsp://viewer:secret@cam/x") }
        let (lines, next) = ring.tail(10, since: nil)
        #expect(lines.count == 3 && next == 5)
        #expect(lines.allSatisfy { !$0.contains("secret") && $0.contains("viewer:***@") })
        ring.append("newest")
        #expect(ring.lines(after: next) == (["newest"], 6))
        #expect(ring.lines(after: 0).lines.count == 3, "a reader that fell behind gets what is left")
    }

    @Test func ringHandlerFormatsLikeTheStreamHandler() {
        let ring = AgentLogRing()
        var handler = RingLogHandler(label: "fleet-agent", ring: ring)
        handler.logLevel = .info
        handler.log(level: .info, message: "command received", metadata: ["kind": "snapshot"], source: "", file: "",
                    function: "", line: 0)
        let line = ring.tail(1, since: nil).lines.first ?? ""
        #expect(line.hasSuffix("info fleet-agent: command received kind=snapshot"))
        #expect(LogLines.time(of: line) != nil)
    }

    @Test func takesTheLastKeyframeOfTheNewestCompleteSegmentWithRealFFmpeg() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let station = dir + "/ROST1"
        try FileManager.default.createDirectory(atPath: station, withIntermediateDirectories: true)
        let older = station + "/ROST1_20261201T060000.mkv", newest = station + "/ROST1_20261201T060003.mkv"
        let open = station + "/ROST1_20261201T060006.mkv"
        for file in [older, newest] {
            let done = try ChildProcess.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                                       "testsrc=size=320x240:rate=10", "-t", "3", "-c:v", "libx264", "-g", "10",
                                                       "-pix_fmt", "yuv420p", "-y", file], timeout: .seconds(30))
            #expect(done.exit == .code(0), "\(done.stderrTail())")
        }
        try Data("growing".utf8).write(to: URL(fileURLWithPath: open))
        #expect(SnapshotTaker.newestComplete(station: "ROST1", stationDir: station, open: [open]) == newest)
        let taker = SnapshotTaker(ffmpegPath: "ffmpeg", tempDir: dir + "/tmp")
        let upload = try await taker.take(station: "ROST1", stationDir: station, open: [open])
        #expect(SnapshotUpload.isJPEG(upload.jpeg))
        #expect(upload.width == 320 && upload.height == 240)
        #expect(upload.segment == "ROST1_20261201T060003.mkv")
        let start = try #require(SegmentName.startDate(of: upload.segment, station: "ROST1"))
        #expect(upload.capturedAt.timeIntervalSince(start) == 2, "keyframes every second: the last at 2 s")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir + "/tmp"))?.isEmpty == true, "no JPEG left behind")
        await #expect(throws: SnapshotTaker.Failure.self) {
            try await taker.take(station: "ROST2", stationDir: dir + "/ROST2", open: [])
        }
    }
}
