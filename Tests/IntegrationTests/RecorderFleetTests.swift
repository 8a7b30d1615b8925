import FleetProtocol
import Foundation
import Testing

/// Recorders end to end: camera simulator, coordinator and agent as real processes,
/// real ffmpeg, and fleetctl as the operator uses it.
@Suite(.serialized) struct RecorderFleetTests {
    @Test func remoteRestartCatalogGapAndNoLeakedPassword() async throws {
        try await withFleet("recorders") { fleet in
            let password = try String(contentsOfFile: fleet.dir + "/camera-password", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let camera = try await CameraSimulator(dir: fleet.dir, mounts: ["/ROST1", "/ROST2"],
                                                   passwordFile: fleet.dir + "/camera-password")
            do {
                try await run(fleet, camera: camera, password: password)
            } catch {
                await camera.stop()
                throw error
            }
            await camera.stop()
        }
    }

    private func stations(_ fleet: TestFleet) async throws -> [String: StationView] {
        Dictionary(uniqueKeysWithValues: try await fleet.get([StationView].self, APIPath.stations).map { ($0.name, $0) })
    }

    private func run(_ fleet: TestFleet, camera: CameraSimulator, password: String) async throws {
        try await fleet.startCoordinator()
        try await fleet.startAgent("recordingpi")
        let inventory = try fleet.renderInventory("recorders.yaml", replacing: ["${CAMERA_PORT}": String(camera.port)])
        let apply = try await fleet.fleetctl(["apply", "-f", inventory])
        #expect(apply.status == 0, "\(apply.stderr)")

        let recording = try await waitUntil(timeout: .seconds(30)) {
            let all = try await stations(fleet)
            return all.count == 2 && all.values.allSatisfy { $0.state == .recording && ($0.currentSegmentBytes ?? 0) > 0 }
        }
        #expect(recording, "\(fleet.logs)")

        // Remote restart with --wait: returns once the new recorder's segment grows.
        let before = try await stations(fleet)["ROST2"]
        let restart = try await fleet.fleetctl(["restart", "recorder", "ROST2", "--wait"])
        #expect(restart.status == 0, "\(restart.stdout)\(restart.stderr)\n\(fleet.logs)")
        let restarted = try await waitUntil(timeout: .seconds(5)) {
            let now = try await stations(fleet)["ROST2"]
            return now?.pid != nil && now?.pid != before?.pid && (now?.restarts ?? 0) > (before?.restarts ?? 0)
        }
        #expect(restarted)
        let unknown = try await fleet.fleetctl(["restart", "recorder", "ROST9", "--wait"])
        #expect(unknown.status == 1)

        // Changing ROST2's segment length restarts ROST2 only: ROST1 keeps its ffmpeg.
        let beforeChange = try await stations(fleet)
        let changed = try fleet.renderInventory("recorders.yaml", replacing: [
            "${CAMERA_PORT}": String(camera.port),
            "ROST2: {node: recordingpi, camera: {host: 127.0.0.1, rtspPath: /ROST2}}":
                "ROST2: {node: recordingpi, camera: {host: 127.0.0.1, rtspPath: /ROST2, segmentSeconds: 4}}",
        ])
        #expect(try await fleet.fleetctl(["apply", "-f", changed]).status == 0)
        let onlyROST2 = try await waitUntil(timeout: .seconds(15)) {
            let now = try await stations(fleet)
            return now["ROST2"]?.segmentSeconds == 4 && now["ROST2"]?.pid != beforeChange["ROST2"]?.pid
                && now["ROST2"]?.state == .recording
        }
        #expect(onlyROST2, "\(fleet.logs)")
        #expect(try await stations(fleet)["ROST1"]?.pid == beforeChange["ROST1"]?.pid)

        // Pause the camera: a stall is noticed in seconds, and the catalog shows the gap.
        let pausedAt = Date()
        camera.pause()
        let stallSeen = try await waitUntil(timeout: .seconds(3 + 5)) {
            let events = try await fleet.get(StationView.self, APIPath.station("ROST1")).recentEvents ?? []
            return events.contains { ["recorder.stalled", "recorder.exited"].contains($0.kind) && $0.time >= pausedAt }
        }
        #expect(stallSeen, "\(fleet.logs)")
        // Keep the camera away for more than two segments, measured by the clock, then resume.
        await waitUntil(timeout: .seconds(9)) { Date().timeIntervalSince(pausedAt) > 8 }
        camera.resume()
        let resumedAt = Date()
        let resumed = try await waitUntil(timeout: .seconds(30)) {
            let view = try await fleet.get(RecordingsView.self, APIPath.recordings("ROST1"))
            return view.segments.contains { $0.valid && $0.start > resumedAt }
        }
        #expect(resumed, "\(fleet.logs)")
        let catalog = try await fleet.fleetctl(["recordings", "ROST1", "-o", "json"])
        #expect(catalog.status == 0, "\(catalog.stderr)")
        let view = try WireCoding.decode(RecordingsView.self, from: Data(catalog.stdout.utf8))
        let gap = view.gaps.first { $0.from <= resumedAt && $0.to >= pausedAt }
        #expect(gap != nil, "gaps: \(view.gaps), paused \(pausedAt) resumed \(resumedAt)")
        #expect((gap?.seconds ?? 0) >= 5)

        // The terminal timeline draws that gap before it is read; `get stations` shows the
        // recorded share of the last 24 hours and remembers the names for shell completion.
        let timeline = try await fleet.fleetctl(["recordings", "ROST1", "--from", pausedAt.addingTimeInterval(-60).formatted(.iso8601)])
        #expect(timeline.status == 0, "\(timeline.stderr)")
        // The minute cell holding the middle of the gap is ░ on its hour's line (UTC).
        if let gap {
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC") ?? .current
            let middle = utc.dateComponents([.month, .day, .hour, .minute], from: gap.from.addingTimeInterval(gap.seconds / 2))
            let label = String(format: "%02d-%02d %02d:00 ", middle.month ?? 0, middle.day ?? 0, middle.hour ?? 0)
            let line = timeline.stdout.split(separator: "\n").first { $0.hasPrefix(label) }.map { Array($0.dropFirst(label.count)) }
            #expect(line.map { ($0.count > (middle.minute ?? 0)) && $0[middle.minute ?? 0] == "░" } == true, "\(timeline.stdout)")
        }
        let cache = ["XDG_CACHE_HOME": fleet.dir + "/cache"]
        let table = try await fleet.fleetctl(["get", "stations"], environment: cache)
        #expect(table.stdout.split(separator: "\n").first?.hasSuffix("COVERAGE-24H") == true, "\(table.stdout)")
        let rows = try await fleet.fleetctl(["get", "stations", "-o", "json"])
        let share = (try JSONSerialization.jsonObject(with: Data(rows.stdout.utf8)) as? [[String: Any]])?
            .first { $0["name"] as? String == "ROST1" }?["coverage24hPercent"] as? Double
        #expect(share.map { $0 > 0 && $0 < 100 } == true, "\(rows.stdout)")
        let completion = try await fleet.fleetctl(["---completion", "recordings", "--", "positional@0", "2", "4",
                                                   "fleetctl", "recordings", "ROST"], environment: cache)
        #expect(completion.stdout.split(separator: "\n").map(String.init) == ["ROST1", "ROST2"], "\(completion)")

        // The password is nowhere: process output, API answers, fleetctl output, recorder logs.
        let getJSON = try await fleet.fleetctl(["get", "stations", "-o", "json"])
        let describe = try await fleet.fleetctl(["describe", "station", "ROST1"])
        var captured = fleet.logs + getJSON.stdout + describe.stdout + restart.stdout + restart.stderr + catalog.stdout
        let logDir = fleet.dir + "/agents/recordingpi/logs"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: logDir)) ?? [] {
            captured += (try? String(contentsOfFile: logDir + "/" + file, encoding: .utf8)) ?? ""
        }
        #expect(captured.contains("ROST1"))
        #expect(!captured.contains(password))
        #expect(!captured.contains(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password))

        // Stopping the agent stops its recorders: no ffmpeg left writing under this test's folder.
        await fleet.stopAgent("recordingpi")
        let clean = await waitUntil(timeout: .seconds(10)) { ffmpegProcesses(writingUnder: fleet.dir).isEmpty }
        #expect(clean)
    }
}

/// Pids of ffmpeg processes whose command line mentions `dir`.
func ffmpegProcesses(writingUnder dir: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let command = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
        return command.contains("ffmpeg") && command.contains(dir)
    }
}
