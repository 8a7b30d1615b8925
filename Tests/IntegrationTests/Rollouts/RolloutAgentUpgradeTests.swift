import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Agent upgrades as staged rollouts, end to end: `fleetctl agent publish`, `agentVersion:` in
/// the inventory, three real agents recording from the camera simulator.
extension RolloutProcessTests {
    /// A build that exits at start: the canary's agent rolls itself back (its guardian runs the
    /// previous binary again, no coordinator involved), reports it, and the rollout pauses with
    /// the canary failed; the other nodes never get the build.
    @Test func agentBuildThatExitsAtStartIsRolledBackOnTheCanaryAndTheRolloutPauses() async throws {
        try await withRolloutRig("upgrade-bad", segmentSeconds: 2, autoPromote: true, autoRevert: false) { rig in
            let fleet = rig.fleet
            defer { killStrays(fleet) }  // the guardian's successor agent and its ffmpeg
            let script = fleet.dir + "/bad-build"
            try "#!/bin/sh\necho 'bad build: exiting with 3' >&2\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
            let publish = try await fleet.fleetctl(["agent", "publish", script, "--version", "9.9.9-bad"])
            #expect(publish.status == 0, "\(publish.stdout)\(publish.stderr)")

            try await rig.apply(try rig.inventory(segmentSeconds: 2, autoPromote: true, autoRevert: false,
                                                  agentVersion: "9.9.9-bad", name: "revision2.yaml"))
            var leaked: [String] = []
            let paused = try await rig.waitRollout(2, timeout: .seconds(90), "the canary's upgrade fails", each: { view in
                for name in ["pia2", "pib1"] where view.node(name)?.state != "pending" {
                    leaked.append("\(name) \(view.node(name)?.state ?? "missing")")
                }
                let served = try await rig.served()
                for name in ["pia2", "pib1"] where served[name]?.agent != nil { leaked.append("\(name) served the build") }
            }, until: { $0.state == "paused" })
            #expect(leaked.isEmpty, "\(leaked)")
            let canary = try #require(paused.node("pia1"))
            #expect(canary.state == "failed", "\(RolloutRig.describe(paused))")
            #expect(canary.reason == "agent-upgrade-failed", "\(RolloutRig.describe(paused))")
            #expect(canary.detail?.isEmpty == false)

            // The canary runs its previous agent again and records again.
            let back = try await waitUntil(timeout: .seconds(60), poll: .milliseconds(250)) {
                let node = try await rig.nodes()["pia1"]
                let station = try await rig.stations()["RA1"]
                return node?.state == .online && node?.agentVersion == FleetVersion.current
                    && station?.state == .recording && (station?.currentSegmentBytes ?? 0) > 0
            }
            #expect(back, "\(fleet.logs)")
            let versions = try await rig.nodes().mapValues(\.agentVersion)
            #expect(versions.values.allSatisfy { $0 == FleetVersion.current }, "\(versions)")
        }
    }

    /// A good build (a copy of this fleet-agent, published as a new version) rolls out to
    /// every node; each agent replaces itself in place and adopts its ffmpeg, so the recorder
    /// keeps its pid and the catalog shows no gap longer than one segment.
    @Test func goodAgentUpgradeCompletesWithoutARecordingGap() async throws {
        try await withRolloutRig("upgrade-good", segmentSeconds: 2, autoPromote: true, autoRevert: true) { rig in
            let fleet = rig.fleet
            defer { killStrays(fleet) }
            let build = fleet.dir + "/fleet-agent-next"
            try FileManager.default.copyItem(atPath: try binary("fleet-agent"), toPath: build)
            _ = try? await runCommand("/usr/bin/strip", [build], environment: [:])  // smaller upload; optional
            let publish = try await fleet.fleetctl(["agent", "publish", build, "--version", "0.1.1-test"])
            #expect(publish.status == 0, "\(publish.stdout)\(publish.stderr)")
            let before = try await rig.stations().mapValues(\.pid)
            let started = Date()

            try await rig.apply(try rig.inventory(segmentSeconds: 2, autoPromote: true, autoRevert: true,
                                                  agentVersion: "0.1.1-test", name: "revision2.yaml"))
            let done = try await rig.waitRollout(2, timeout: .seconds(180), "every agent upgraded") { $0.state == "succeeded" }
            #expect(done.nodes.allSatisfy { $0.state == "healthy" }, "\(RolloutRig.describe(done))")
            let nodes = try await rig.nodes()
            #expect(RolloutRig.nodes.allSatisfy { nodes[$0]?.agentVersion == "0.1.1-test" },
                    "\(nodes.mapValues(\.agentVersion))")

            // Same ffmpeg (adopted, not restarted), still recording; no gap over one segment.
            let stations = try await rig.stations()
            for (station, pid) in before {
                #expect(stations[station]?.pid == pid, "\(station): \(String(describing: pid)) → \(String(describing: stations[station]?.pid))")
                #expect(stations[station]?.state == .recording)
            }
            // Recording goes on after the upgrade: each station lists a segment begun since.
            let doneAt = Date()
            let settled = try await waitUntil(timeout: .seconds(20), poll: .milliseconds(250)) {
                for station in RolloutRig.stations.values {
                    let view = try await fleet.get(RecordingsView.self, APIPath.recordings(station))
                    guard view.segments.contains(where: { $0.valid && $0.start >= doneAt - 0.5 }) else { return false }
                }
                return true
            }
            #expect(settled, "\(fleet.logs)")
            for station in RolloutRig.stations.values.sorted() {
                let view = try await fleet.get(RecordingsView.self, APIPath.recordings(station))
                let gaps = view.gaps.filter { $0.to > started }
                #expect(gaps.allSatisfy { $0.seconds <= 2.0 }, "\(station) gaps: \(gaps)")
            }
        }
    }
}

/// An agent a guardian started is nobody's child in this test: SIGKILL it and every ffmpeg
/// writing under the fleet's folder, at the end of a test, whatever happened.
private func killStrays(_ fleet: TestFleet) {
    killProcesses(mentioning: fleet.dir + "/agents")
    killProcesses(mentioning: fleet.dir + "/recordings")
}
