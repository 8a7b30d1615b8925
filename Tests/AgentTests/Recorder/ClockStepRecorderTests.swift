import Foundation
import FleetProtocol
import Testing
@testable import FleetAgent
#if canImport(Glibc)
import Glibc
#endif

/// Recorders while the wall clock is wrong (a Pi without a real-time clock boots with a stale
/// time until NTP sets it): real ffmpeg and the camera simulator; the supervisor's wall clock
/// is the fake clock seam (`Configuration.wallClock`) — ffmpeg keeps the real clock, so the
/// tests play the supervisor's view of a step, which is what it acts on.
@Suite(.serialized) struct ClockStepRecorderTests {
    /// Segments named in the next 40 seconds are already on disk (recorded before the clock
    /// went back): the run tags its names and not one of those files is touched.
    @Test func aClockBehindTheFolderNeverOverwritesASegment() async throws {
        let harness = try Harness(label: "clock-behind", mounts: ["/ROST1"], auth: false)
        let stationDir = (harness.outputDir as NSString).appendingPathComponent("ROST1")
        try FileManager.default.createDirectory(atPath: stationDir, withIntermediateDirectories: true)
        let now = Date()
        var kept: [String: String] = [:]
        for second in 0..<40 {
            let name = SegmentClock.name(station: "ROST1", at: now.addingTimeInterval(Double(second)))
            let content = "recorded before the clock went back #\(second)"
            try content.write(toFile: (stationDir as NSString).appendingPathComponent(name), atomically: false, encoding: .utf8)
            kept[name] = content
        }
        let collected = Collected()
        try await harness.run { supervisor in
            await supervisor.reconcile([harness.spec("ROST1", segmentSeconds: 2, auth: false)])
            let recorded = await waitUntil("3 valid segments", timeout: .seconds(20)) {
                await collected.pull(supervisor)
                return await collected.valid("ROST1").count >= 3
            }
            #expect(recorded)
            let names = await collected.valid("ROST1").map(\.name)
            #expect(names.allSatisfy { SegmentName.tag(of: $0, station: "ROST1") != nil }, "untagged: \(names)")
            #expect(Set(names.compactMap { SegmentName.tag(of: $0, station: "ROST1") }).count == 1)
            for (name, content) in kept {
                let path = (stationDir as NSString).appendingPathComponent(name)
                #expect((try? String(contentsOfFile: path, encoding: .utf8)) == content, "\(name) was overwritten")
            }
            let notice = await collected.events("recorder.clock-behind", "ROST1")
            #expect(notice.count == 1)
            // The newest segment is the one closed last, though older files carry later names.
            let status = try #require(await supervisor.status(of: "ROST1"))
            #expect(status.newestSegment.map { SegmentName.tag(of: $0, station: "ROST1") != nil } == true)
            #expect((status.newestSegmentAgeSeconds ?? 99) < 10)
            #expect(SnapshotTaker.newestComplete(station: "ROST1", stationDir: stationDir, open: await supervisor.openSegments())
                .map { SegmentName.tag(of: ($0 as NSString).lastPathComponent, station: "ROST1") != nil } == true)
            // No stall: the files from the future are not taken for this run's open segment.
            #expect(await collected.events("recorder.stalled", "ROST1").isEmpty)
        }
    }

    /// The clock is set back a day while recording: the recorder restarts under a tag at
    /// once (the running ffmpeg would repeat names), and the segment open at the step is
    /// reported on the new clock.
    @Test func aClockSetBackWhileRecordingRestartsUnderATag() async throws {
        let harness = try Harness(label: "clock-back", mounts: ["/ROST1"], auth: false)
        let offset = LockedValue<Double>(0)
        let collected = Collected()
        try await harness.run(wallClock: { Date().addingTimeInterval(offset.get()) }) { supervisor in
            await supervisor.reconcile([harness.spec("ROST1", segmentSeconds: 2, auth: false)])
            #expect(await isGrowing(supervisor, "ROST1", timeout: .seconds(15)))
            let before = try #require(await supervisor.status(of: "ROST1")?.pid)
            let steppedAt = Date()
            offset.set(-86_400)
            let restarted = await waitUntil("restart after the step", timeout: .seconds(10)) {
                await collected.pull(supervisor)
                return await collected.events("recorder.restarted", "ROST1").contains { $0.message.contains("wall clock set back") }
            }
            #expect(restarted)
            #expect(await isGrowing(supervisor, "ROST1", notPid: before, timeout: .seconds(15)))
            let tagged = await waitUntil("a tagged segment", timeout: .seconds(15)) {
                await collected.pull(supervisor)
                return await collected.valid("ROST1").contains { SegmentName.tag(of: $0.name, station: "ROST1") != nil }
            }
            #expect(tagged)
            // The segment open at the step was named a day "ahead" of the new clock: reported a day earlier.
            let all = await collected.segments
            let moved = all.filter { $0.station == "ROST1" && $0.start < steppedAt.addingTimeInterval(-86_000) }
            #expect(!moved.isEmpty, "no segment moved onto the new clock: \(all.map { "\($0.name) \($0.start)" })")
            #expect(moved.allSatisfy { SegmentName.tag(of: $0.name, station: "ROST1") == nil })
        }
    }

    /// NTP sets the clock a day forward: nothing restarts, and the segment open at the step is
    /// reported a day later than its name, the ones after it as named.
    @Test func aClockSetForwardMovesTheOpenSegmentOnly() async throws {
        let harness = try Harness(label: "clock-forward", mounts: ["/ROST1"], auth: false)
        let offset = LockedValue<Double>(0)
        let collected = Collected()
        try await harness.run(wallClock: { Date().addingTimeInterval(offset.get()) }) { supervisor in
            await supervisor.reconcile([harness.spec("ROST1", segmentSeconds: 2, auth: false)])
            #expect(await isGrowing(supervisor, "ROST1", timeout: .seconds(15)))
            let pid = try #require(await supervisor.status(of: "ROST1")?.pid)
            offset.set(86_400)
            let steppedAt = Date()
            let after = await waitUntil("two segments closed after the step", timeout: .seconds(15)) {
                await collected.pull(supervisor)
                let valid = await collected.valid("ROST1")
                return valid.contains { $0.start > steppedAt.addingTimeInterval(60_000) }
                    && valid.contains { $0.start > steppedAt.addingTimeInterval(-30) && $0.start < steppedAt.addingTimeInterval(30) }
            }
            let all = await collected.segments
            #expect(after, "\(all.map { "\($0.name) \($0.start)" })")
            #expect(await supervisor.status(of: "ROST1")?.pid == pid, "a step forward must not restart the recorder")
            #expect(await collected.events("recorder.restarted", "ROST1").isEmpty)
        }
    }
}
