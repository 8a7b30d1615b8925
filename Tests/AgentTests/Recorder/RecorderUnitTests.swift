import Foundation
import FleetProtocol
import Testing
@testable import FleetAgent

@Suite struct RecorderUnitTests {
    @Test func redactsLiteralSecretsAndURLPasswords() {
        let redactor = Redactor(secrets: ["S3cr#t:p@ss", "S3cr%23t%3Ap%40ss"])
        let line = "rtsp://viewer:S3cr%23t%3Ap%40ss@10.0.0.5:554/stream1: Connection refused (S3cr#t:p@ss)"
        let clean = redactor.redact(line)
        #expect(!clean.contains("S3cr"))
        #expect(clean.contains("rtsp://viewer:***@10.0.0.5:554/stream1"))
        #expect(Redactor.redactURLPasswords("see rtsp://u:x@h/p and http://a:b@c:8/") == "see rtsp://u:***@h/p and http://a:***@c:8/")
        #expect(Redactor.redactURLPasswords("rtsp://host:554/path") == "rtsp://host:554/path")
    }

    @Test func buildsCommandWithEncodedPasswordAndRedactedForms() throws {
        let dir = try RecorderScratch("cmd")
        defer { dir.remove() }
        let passwordFile = dir.sub("pw")
        try "p@ss word/1%\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let spec = RecorderSpec(station: "ROST1", cameraHost: "192.168.1.75", username: "viewer", passwordFile: passwordFile,
                                segmentSeconds: 600, outputDir: "/rec", stallSeconds: 30)
        let command = try RecorderCommand(spec: spec, rtspTimeoutSeconds: 15)
        #expect(command.arguments.contains("rtsp://viewer:p%40ss%20word%2F1%25@192.168.1.75:554/stream1"))
        #expect(command.redactedURL == "rtsp://viewer:***@192.168.1.75:554/stream1")
        #expect(!command.redactedCommandLine.contains("p%40ss"))
        #expect(command.arguments.suffix(1) == ["/rec/ROST1/ROST1_%Y%m%dT%H%M%S.mkv"])
        let joined = command.arguments.joined(separator: " ")
        for flag in ["-rtsp_transport tcp", "-timeout 15000000", "-c copy", "-segment_time 600", "-segment_atclocktime 1",
                     "-reset_timestamps 1", "-strftime 1", "-segment_list /rec/ROST1/.segments.csv", "-segment_list_type csv",
                     "flush_packets=1:cluster_time_limit=500", "-analyzeduration 500000 -probesize 32768", "-loglevel warning"] {
            #expect(joined.contains(flag), "missing \(flag)")
        }
    }

    @Test func unreadablePasswordFileIsAClearError() {
        let spec = RecorderSpec(station: "ROST1", cameraHost: "h", username: "u", passwordFile: "/nonexistent/pw", outputDir: "/rec")
        #expect(throws: RecorderError.passwordUnreadable(station: "ROST1", path: "/nonexistent/pw")) {
            try RecorderCommand(spec: spec, rtspTimeoutSeconds: 5)
        }
    }

    @Test func parsesSegmentNamesInLocalTime() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Stockholm"))
        let date = try #require(SegmentName.startDate(of: "ROST2_20250523T033000.mkv", station: "ROST2", timeZone: zone))
        // 03:30 CEST (UTC+2) is 01:30 UTC.
        #expect(date == Date(timeIntervalSince1970: 1_747_963_800))
        #expect(SegmentName.startDate(of: "ROST2_20250523T033000.mkv", station: "ROST1") == nil)
        #expect(SegmentName.startDate(of: "ROST2_2025052XT033000.mkv", station: "ROST2") == nil)
        let now = Date(timeIntervalSince1970: 1_747_963_800.0)
        #expect(SegmentName.startDate(of: SegmentClock.name(station: "S", at: now), station: "S") == now)
    }

    @Test func tailsSegmentListByOffsetAndRestartsWhenTruncated() throws {
        let dir = try RecorderScratch("list")
        defer { dir.remove() }
        let path = dir.sub(".segments.csv")
        var tail = SegmentListTail(path: path)
        #expect(tail.readNewNames().isEmpty)
        try "A_1.mkv,0.0,2.0\nB_2.mkv,2.0".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(tail.readNewNames() == ["A_1.mkv"])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(",4.0\n\"C,3.mkv\",4.0,6.0\n".utf8))
        try handle.close()
        #expect(tail.readNewNames() == ["B_2.mkv", "C,3.mkv"])
        try "D_4.mkv,0,1\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(tail.readNewNames() == ["D_4.mkv"])
    }

    @Test func rotatesLogFilesAtTheSizeLimit() throws {
        let dir = try RecorderScratch("log")
        defer { dir.remove() }
        let log = RotatingLog(path: dir.sub("recorder-X.log"), maxBytes: 8192, files: 3)
        for index in 0..<1000 { log.write("line \(index) " + String(repeating: "x", count: 60)) }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["recorder-X.log", "recorder-X.log.1", "recorder-X.log.2"])
        for name in names {
            let size = try FileManager.default.attributesOfItem(atPath: dir.sub(name))[.size] as? Int ?? 0
            #expect(size <= 8192)
        }
        let newest = try String(contentsOfFile: dir.sub("recorder-X.log"), encoding: .utf8)
        #expect(newest.contains("line 999 "))
    }

    @Test func probeRejectsFilesWithoutVideoOrDuration() {
        #expect(SegmentProbe.interpret(json: Array(#"{"streams":[{"codec_type":"video"}],"format":{"duration":"2.0"}}"#.utf8)).valid)
        #expect(!SegmentProbe.interpret(json: Array(#"{"streams":[{"codec_type":"video"}],"format":{}}"#.utf8)).valid)
        #expect(!SegmentProbe.interpret(json: Array(#"{"streams":[{"codec_type":"audio"}],"format":{"duration":"2.0"}}"#.utf8)).valid)
    }
}

/// Segment names with a run tag, the output pattern family and clock-step corrections.
@Suite struct SegmentNameTagTests {
    @Test func taggedNamesParseAndMatch() throws {
        let zone = try #require(TimeZone(identifier: "UTC"))
        let plain = SegmentName.startDate(of: "ROST1_20261201T101500.mkv", station: "ROST1", timeZone: zone)
        #expect(plain != nil)
        #expect(SegmentName.startDate(of: "ROST1_20261201T101500-k3x9.mkv", station: "ROST1", timeZone: zone) == plain)
        #expect(SegmentName.tag(of: "ROST1_20261201T101500-k3x9.mkv", station: "ROST1") == "k3x9")
        #expect(SegmentName.tag(of: "ROST1_20261201T101500.mkv", station: "ROST1") == nil)
        #expect(SegmentName.matches("ROST1_20261201T101500-k3x9.mkv", station: "ROST1"))
        for bad in ["ROST1_20261201T101500-.mkv", "ROST1_20261201T101500-K3.mkv", "ROST1_20261201T101500_k3.mkv",
                    "ROST1_20261201T101500-abcdefghijklm.mkv", "ROST1_20261201T101500-a/b.mkv"] {
            #expect(!SegmentName.matches(bad, station: "ROST1"), "\(bad)")
        }
        #expect(SegmentClock.name(station: "S", at: Date(), tag: "ab12").hasSuffix("-ab12.mkv"))
    }

    @Test func outputPatternFamily() {
        let plain = RecorderCommand.outputPattern(stationDir: "/rec/ROST1", station: "ROST1", tag: nil)
        let tagged = RecorderCommand.outputPattern(stationDir: "/rec/ROST1", station: "ROST1", tag: "x7")
        #expect(tagged == "/rec/ROST1/ROST1_%Y%m%dT%H%M%S-x7.mkv")
        #expect(RecorderCommand.isOutputPattern(tagged, of: plain))
        #expect(RecorderCommand.isOutputPattern(plain, of: plain))
        #expect(!RecorderCommand.isOutputPattern("/rec/ROST10/ROST10_%Y%m%dT%H%M%S.mkv", of: plain))
        #expect(!RecorderCommand.isOutputPattern("/rec/ROST1/ROST1_%Y%m%dT%H%M%S-../x.mkv", of: plain))
        let tag = RecorderCommand.makeNameTag()
        #expect(tag.count == 6 && SegmentName.tag(of: "S_20261201T101500-\(tag).mkv", station: "S") == tag)
    }

    @Test func clockStepsCorrectOnlyTimesNamedBeforeThem() {
        let zero = ContinuousClock.now
        var steps = WallClockSteps()
        steps.record(seconds: 86_400, at: zero + .seconds(10))
        steps.record(seconds: -3_600, at: zero + .seconds(20))
        #expect(steps.correction(forTimeNamedAt: zero) == 86_400 - 3_600)
        #expect(steps.correction(forTimeNamedAt: zero + .seconds(15)) == -3_600)
        #expect(steps.correction(forTimeNamedAt: zero + .seconds(25)) == 0)
        for i in 0..<40 { steps.record(seconds: 1, at: zero + .seconds(30 + i)) }
        #expect(steps.steps.count == WallClockSteps.maxSteps)
    }
}
