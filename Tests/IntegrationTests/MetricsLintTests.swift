import AsyncHTTPClient
import FleetProtocol
import Foundation
import Testing

/// Item 11: both daemons' /metrics pass `promtool check metrics` (Debian package
/// `prometheus`, installed by scripts/setup.sh), and the agent exposes per-station recorder
/// series. Fails — does not skip — when promtool is missing.
@Suite(.serialized) struct MetricsLintTests {
    @Test func bothDaemonsPassPromtoolAndRecorderSeriesExist() async throws {
        try await withFleet("metrics") { fleet in
            let camera = try await CameraSimulator(dir: fleet.dir, mounts: ["/ROST1", "/ROST2"],
                                                   passwordFile: fleet.dir + "/camera-password")
            do {
                try await run(fleet, camera: camera)
            } catch {
                await camera.stop()
                throw error
            }
            await camera.stop()
        }
    }

    private func run(_ fleet: TestFleet, camera: CameraSimulator) async throws {
        try await fleet.startCoordinator()
        try await fleet.startAgent("recordingpi")
        let inventory = try fleet.renderInventory("recorders.yaml", replacing: ["${CAMERA_PORT}": String(camera.port)])
        let apply = try await fleet.fleetctl(["apply", "-f", inventory])
        #expect(apply.status == 0, "\(apply.stderr)")
        let line = try await fleet.agents["recordingpi"]?.waitForLine(containing: "status on") ?? ""
        let agentURL = try #require(line.split(separator: " ").last.map(String.init), "agent printed no status URL")
        #expect(agentURL.hasPrefix("http://127.0.0.1:"))

        // Coordinator: every route the test touched appears in the latency histogram.
        let (status, coordinatorText) = try await fleet.request(.GET, "/metrics", token: nil)
        #expect(status == 200)
        try expectPromtoolPasses(String(decoding: coordinatorText, as: UTF8.self), label: "coordinator", dir: fleet.dir)

        // Agent: per-station series once the recorders write.
        var agentText = ""
        let seriesAppeared = try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500)) {
            agentText = try await scrape(agentURL + "/metrics")
            return agentText.contains(#"stationfleet_recorder_up{station="ROST1"} 1.0"#)
                && agentText.contains("stationfleet_recorder_newest_segment_age_seconds{station=\"ROST1\"}")
                && agentText.contains("stationfleet_recorder_written_bytes_total{station=\"ROST1\"}")
        }
        #expect(seriesAppeared, "\(agentText)\n\(fleet.logs)")
        #expect(agentText.contains(#"stationfleet_recorder_state{station="ROST1",state="recording"} 1.0"#))
        #expect(agentText.contains(#"stationfleet_recorder_restarts_total{station="ROST1"}"#))
        try expectPromtoolPasses(agentText, label: "agent", dir: fleet.dir)
    }

    private func scrape(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return String(buffer: body)
    }

    /// Runs `promtool check metrics` on `text`; records a failure when promtool is missing
    /// (CI runs scripts/setup.sh, which installs it) or when it reports a problem.
    private func expectPromtoolPasses(_ text: String, label: String, dir: String) throws {
        let file = dir + "/\(label)-metrics.txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "command -v promtool >/dev/null 2>&1 || exit 127; promtool check metrics < '\(file)' 2>&1"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 127, "promtool is missing: run scripts/setup.sh (Debian package prometheus)")
        #expect(process.terminationStatus == 0, "promtool check metrics on the \(label):\n\(printed)\n\(text)")
    }
}
