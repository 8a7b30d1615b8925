import Foundation
import FleetProtocol
import Testing
@testable import FleetAgent
#if canImport(Glibc)
import Glibc
#endif

/// A camera simulator, a supervisor and its loop in a temp folder; `cleanup()` stops all.
final class Harness: Sendable {
    let dir: RecorderScratch
    let sim: CameraSim
    let passwordFile: String
    let configuration: RecorderSupervisor.Configuration
    static let password = "Zq9#Leak:p@ss/W%rd42"
    static var encodedPassword: String { RecorderCommand.percentEncodeUserInfo(password) }

    init(label: String, mounts: [String], auth: Bool) throws {
        dir = try RecorderScratch(label)
        passwordFile = dir.sub("camera-password")
        try (Harness.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        do {
            sim = try CameraSim(mounts: mounts, user: auth ? "viewer" : nil, passwordFile: auth ? passwordFile : nil,
                                logPath: dir.sub("sim.log"))
        } catch {
            dir.remove()
            throw error
        }
        configuration = RecorderSupervisor.Configuration(stateDir: dir.sub("state"), logDir: dir.sub("logs"),
                                                         tickInterval: .milliseconds(250), startGrace: .seconds(4))
    }

    var outputDir: String { dir.sub("recordings") }

    func spec(_ station: String, segmentSeconds: Int = 2, stallSeconds: Int = 4, port: Int? = nil, auth: Bool = true) -> RecorderSpec {
        RecorderSpec(station: station, cameraHost: "127.0.0.1", rtspPort: port ?? sim.port, rtspPath: "/\(station)",
                     username: auth ? "viewer" : nil, passwordFile: auth ? passwordFile : nil, segmentSeconds: segmentSeconds,
                     outputDir: outputDir, stallSeconds: stallSeconds)
    }

    /// Runs `body` with a started supervisor loop and always cleans up; stray ffmpeg
    /// processes after `stopAll()` are a test failure.
    func run(wallClock: (@Sendable () -> Date)? = nil, _ body: (RecorderSupervisor) async throws -> Void) async throws {
        var configuration = configuration
        if let wallClock { configuration.wallClock = wallClock }
        let supervisor = RecorderSupervisor(configuration: configuration)
        let loop = Task { await supervisor.run() }
        var failure: (any Error)?
        do { try await body(supervisor) } catch { failure = error }
        loop.cancel()
        await supervisor.stopAll()
        cleanup()
        if let failure { throw failure }
    }

    func cleanup() {
        sim.stop()
        let strays = killStrayRecorders(under: dir.path)
        #expect(strays.isEmpty, "ffmpeg still running after stopAll: \(strays)")
        dir.remove()
    }
}

/// Accumulates what the supervisor hands over.
actor Collected {
    var events: [AgentEvent] = []
    var segments: [SegmentRecord] = []

    func pull(_ supervisor: RecorderSupervisor) async {
        events += await supervisor.takeEvents()
        segments += await supervisor.takeSegments()
    }

    func events(_ kind: String, _ station: String) -> [AgentEvent] {
        events.filter { $0.kind == kind && $0.station == station }
    }

    func valid(_ station: String) -> [SegmentRecord] {
        segments.filter { $0.station == station && $0.valid }
    }
}

/// True once `station` records with a growing open segment (two samples, size increased).
func isGrowing(_ supervisor: RecorderSupervisor, _ station: String, notPid: Int32? = nil, timeout: Duration) async -> Bool {
    var first: StationStatus?
    return await waitUntil("\(station) growing", timeout: timeout) {
        guard let now = await supervisor.status(of: station), now.state == .recording, now.pid != notPid,
              let bytes = now.currentSegmentBytes, bytes > 0 else { return false }
        if let base = first, base.pid == now.pid, base.currentSegment != now.currentSegment || bytes > (base.currentSegmentBytes ?? 0) {
            return true
        }
        if first?.pid != now.pid || first?.currentSegment != now.currentSegment { first = now }
        return false
    }
}

@Suite(.serialized) struct RecorderProcessTests {
    @Test func recordsSupervisesAndNeverLeaksThePassword() async throws {
        let harness = try Harness(label: "scenario", mounts: ["/ROST1", "/ROST2", "/ROST9"], auth: true)
        let collected = Collected()
        try await harness.run { supervisor in
            var rost2 = harness.spec("ROST2")
            await supervisor.reconcile([harness.spec("ROST1"), rost2])

            // Segments appear, rotate, are named STATION_YYYYMMDDTHHMMSS.mkv and probe valid.
            let rotated = await waitUntil("two valid segments per station", timeout: .seconds(20)) {
                await collected.pull(supervisor)
                let one = await collected.valid("ROST1").count
                let two = await collected.valid("ROST2").count
                return one >= 2 && two >= 2
            }
            #expect(rotated)
            for record in await collected.segments where record.station == "ROST1" {
                #expect(record.name.range(of: #"^ROST1_\d{8}T\d{6}\.mkv$"#, options: .regularExpression) != nil)
                #expect(record.durationSeconds > 0 && record.bytes > 0)
                #expect(abs(record.start.timeIntervalSinceNow) < 60)
                #expect(FileManager.default.fileExists(atPath: "\(harness.outputDir)/ROST1/\(record.name)"))
            }
            let started = await collected.events("recorder.started", "ROST1")
            #expect(started.count == 1 && started[0].message.contains("rtsp://viewer:***@127.0.0.1"))
            let status1 = try #require(await supervisor.status(of: "ROST1"))
            #expect(status1.state == .recording && status1.restarts == 0 && status1.newestSegment != nil)
            if let current = status1.currentSegment {
                #expect(await supervisor.openSegments().contains("\(harness.outputDir)/ROST1/\(current)"))
            }

            // A changed spec restarts only that station.
            let pid1 = try #require(await supervisor.status(of: "ROST1")?.pid)
            let pid2 = try #require(await supervisor.status(of: "ROST2")?.pid)
            rost2.segmentSeconds = 3
            await supervisor.reconcile([harness.spec("ROST1"), rost2])
            #expect(await isGrowing(supervisor, "ROST2", notPid: pid2, timeout: .seconds(15)))
            #expect(await supervisor.status(of: "ROST1")?.pid == pid1)
            #expect((await supervisor.status(of: "ROST2")?.restarts ?? 0) >= 1)
            await collected.pull(supervisor)
            #expect(await collected.events("recorder.restarted", "ROST2").contains { $0.message.contains("configuration changed") })
            #expect(await collected.events("recorder.restarted", "ROST1").isEmpty)

            // Remote restart returns once the new process's segment grows.
            let message = try await supervisor.restart(station: "ROST1", reason: "test", timeout: .seconds(20))
            let newPid1 = try #require(await supervisor.status(of: "ROST1")?.pid)
            #expect(newPid1 != pid1)
            #expect(message.hasPrefix("restarted ROST1 (pid \(newPid1)), segment ROST1_") && message.hasSuffix("growing"))
            await #expect(throws: RecorderError.unknownStation("NOPE")) {
                _ = try await supervisor.restart(station: "NOPE", reason: "test", timeout: .seconds(1))
            }

            // kill -9: exit noticed, restarted after the back-off, restart counted.
            let before = try #require(await supervisor.status(of: "ROST2"))
            let killedPid = try #require(before.pid)
            let openAtKill = before.currentSegment
            let killedAt = ContinuousClock.now
            kill(killedPid, SIGKILL)
            #expect(await isGrowing(supervisor, "ROST2", notPid: killedPid, timeout: .seconds(15)))
            let after = try #require(await supervisor.status(of: "ROST2"))
            #expect(after.restarts >= before.restarts + 1)
            await collected.pull(supervisor)
            let restartedEvent = try #require(await collected.events("recorder.restarted", "ROST2").last)
            #expect(restartedEvent.message.contains("signal 9"))
            #expect(await collected.events("recorder.exited", "ROST2").contains { $0.message.contains("pid \(killedPid)") })
            #expect(ContinuousClock.now - killedAt >= .milliseconds(900), "restart must wait for the back-off")
            // The segment the kill left open is either removed (empty) or reported invalid.
            if let openAtKill, FileManager.default.fileExists(atPath: "\(harness.outputDir)/ROST2/\(openAtKill)") {
                let reported = await waitUntil("leftover segment reported", timeout: .seconds(5)) {
                    await collected.pull(supervisor)
                    return await collected.segments.contains { $0.name == openAtKill && !$0.valid }
                }
                #expect(reported)
                #expect(await collected.events("segment.invalid", "ROST2").contains { $0.message.contains(openAtKill) })
            }

            // A camera that refuses connections: restart times out with a clean error, and
            // ffmpeg's own error line (which contains the URL) is redacted in the log.
            await supervisor.reconcile([harness.spec("ROST1"), rost2, harness.spec("ROST9", port: 1)])
            let logged = await waitUntil("ROST9 ffmpeg error in log", timeout: .seconds(10)) {
                allLogText(in: harness.configuration.logDir).contains("viewer:***@127.0.0.1:1/ROST9")
            }
            #expect(logged)
            var thrown: RecorderError?
            do throws(RecorderError) {
                _ = try await supervisor.restart(station: "ROST9", reason: "camera check", timeout: .seconds(3))
            } catch {
                thrown = error
            }
            let timeoutError = try #require(thrown)
            guard case .restartTimedOut = timeoutError else { Issue.record("expected a timeout, got \(timeoutError)"); return }
            #expect(await supervisor.status(of: "ROST1")?.pid == newPid1)

            // The password appears nowhere.
            await collected.pull(supervisor)
            let statuses = try String(decoding: WireCoding.encode(await supervisor.statuses()), as: UTF8.self)
            let events = try String(decoding: WireCoding.encode(await collected.events), as: UTF8.self)
            let logs = allLogText(in: harness.configuration.logDir)
            for secret in [Harness.password, Harness.encodedPassword, "Zq9"] {
                #expect(!logs.contains(secret))
                #expect(!events.contains(secret))
                #expect(!statuses.contains(secret))
                #expect(!timeoutError.description.contains(secret))
            }
            #expect(await supervisor.status(of: "ROST9")?.lastError?.contains("viewer:***@") == true)

            // stopAll leaves nothing running.
            await supervisor.stopAll()
            #expect(await supervisor.statuses().allSatisfy { $0.state == .stopped && $0.pid == nil })
            for station in ["ROST1", "ROST2", "ROST9"] {
                #expect(liveRecorders(station: station, outputDir: harness.outputDir).isEmpty)
            }
        }
    }

    @Test func pausedCameraIsDetectedAsStalledAndRecordingResumes() async throws {
        let harness = try Harness(label: "stall", mounts: ["/ROST1"], auth: false)
        let collected = Collected()
        try await harness.run { supervisor in
            await supervisor.reconcile([harness.spec("ROST1", segmentSeconds: 4, stallSeconds: 3, auth: false)])
            #expect(await isGrowing(supervisor, "ROST1", timeout: .seconds(15)))
            let before = try #require(await supervisor.status(of: "ROST1"))

            // The camera stops sending: whichever notices first (the growth check or
            // ffmpeg's own RTSP timeout, which exits with code 0) leads to a restart.
            harness.sim.pause()
            let pausedAt = ContinuousClock.now
            let restarted = await waitUntil("stall restart", timeout: .seconds(8)) {
                await collected.pull(supervisor)
                return await !collected.events("recorder.restarted", "ROST1").isEmpty
            }
            let elapsed = ContinuousClock.now - pausedAt
            #expect(restarted)
            #expect(elapsed <= .seconds(8), "stall restart took \(elapsed)")
            let why = await collected.events("recorder.restarted", "ROST1").first?.message ?? ""
            #expect(why.contains("has not grown for") || why.contains("sends nothing"), "reason: \(why)")
            let reasons = await collected.events("recorder.stalled", "ROST1") + collected.events("recorder.exited", "ROST1")
            #expect(!reasons.isEmpty)
            #expect((await supervisor.status(of: "ROST1")?.restarts ?? 0) >= 1)

            harness.sim.resume()
            let resumedAt = Date()
            #expect(await isGrowing(supervisor, "ROST1", notPid: before.pid, timeout: .seconds(25)))
            let fresh = await waitUntil("a valid segment after resume", timeout: .seconds(10)) {
                await collected.pull(supervisor)
                return await collected.valid("ROST1").contains { $0.start >= resumedAt.addingTimeInterval(-2) }
            }
            #expect(fresh)
            #expect(await supervisor.status(of: "ROST1")?.state == .recording)

            // ffmpeg itself hangs (the field incident): only the growth check can see it, and
            // only SIGKILL ends a stopped process.
            let hung = try #require(await supervisor.status(of: "ROST1")?.pid)
            let stalledBefore = await collected.events("recorder.stalled", "ROST1").count
            kill(hung, SIGSTOP)
            let hungAt = ContinuousClock.now
            let detected = await waitUntil("stall of a hung ffmpeg", timeout: .seconds(6)) {
                await collected.pull(supervisor)
                return await collected.events("recorder.stalled", "ROST1").count > stalledBefore
            }
            #expect(detected)
            #expect(await collected.events("recorder.stalled", "ROST1").last?.message.contains("has not grown for") == true)
            #expect(await isGrowing(supervisor, "ROST1", notPid: hung, timeout: .seconds(12)))
            #expect(ContinuousClock.now - hungAt <= .seconds(14))
            #expect(ProcessTable.startTime(of: hung) == nil, "the hung ffmpeg must be gone")
        }
    }

    @Test func leftoverRecordersAreKilledBeforeANewOneStarts() async throws {
        let harness = try Harness(label: "orphan", mounts: ["/ROST1", "/ROST2"], auth: false)
        var firstPids: [Int32] = []
        do {
            // A first supervisor starts recorders and is dropped without stopping them.
            let first = RecorderSupervisor(configuration: harness.configuration)
            let loop = Task { await first.run() }
            await first.reconcile([harness.spec("ROST1", auth: false), harness.spec("ROST2", auth: false)])
            let up1 = await isGrowing(first, "ROST1", timeout: .seconds(15))
            let up2 = await isGrowing(first, "ROST2", timeout: .seconds(15))
            loop.cancel()
            await loop.value
            firstPids = await first.statuses().compactMap(\.pid)
            #expect(up1 && up2 && firstPids.count == 2)
        }
        try await harness.run { supervisor in
            // The second supervisor keeps only ROST1: its leftover is replaced, ROST2's is stopped.
            await supervisor.reconcile([harness.spec("ROST1", auth: false)])
            #expect(await isGrowing(supervisor, "ROST1", timeout: .seconds(20)))
            let newPid = try #require(await supervisor.status(of: "ROST1")?.pid)
            #expect(!firstPids.contains(newPid))
            let settled = await waitUntil("one ffmpeg for ROST1, none for ROST2", timeout: .seconds(8)) {
                liveRecorders(station: "ROST1", outputDir: harness.outputDir) == [newPid]
                    && liveRecorders(station: "ROST2", outputDir: harness.outputDir).isEmpty
            }
            #expect(settled)
            for pid in firstPids { #expect(ProcessTable.startTime(of: pid) == nil, "leftover pid \(pid) still alive") }
        }
    }
}
