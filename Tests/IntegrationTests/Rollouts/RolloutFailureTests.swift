import FleetProtocol
import Foundation
import Testing

/// A change that makes ffmpeg fail (an RTSP path the camera does not serve) stops at the
/// canary; with autoRevert the canary returns to its previous revision and records again.
extension RolloutProcessTests {
    @Test func failingChangeStopsAtTheCanaryAndAutoRevertRecordsAgain() async throws {
        try await withRolloutRig("rollout-failure", segmentSeconds: 2, autoPromote: true, autoRevert: true) { rig in
            let fleet = rig.fleet
            let pids = Dictionary(uniqueKeysWithValues: try await rig.stations().map { ($0.key, $0.value.pid) })
            let broken = ["RA1": "/NOPE-RA1", "RA2": "/NOPE-RA2", "RB1": "/NOPE-RB1"]
            try await rig.apply(try rig.inventory(segmentSeconds: 2, autoPromote: true, autoRevert: true, paths: broken,
                                                  name: "revision2.yaml"))

            // Throughout: pia2 and pib1 are never released nor served revision 2, and their
            // agents never run it.
            var leaked: [String] = []
            var sawFailure = false
            let reverted = try await rig.waitRollout(2, timeout: .seconds(60), "canary fails and is reverted", each: { view in
                for name in ["pia2", "pib1"] {
                    guard let node = view.node(name) else { leaked.append("\(name) missing"); continue }
                    if node.state != "pending" || node.servedRevision != 1 { leaked.append("\(name) \(node.state) served \(node.servedRevision)") }
                }
                if ["reverting", "reverted", "paused"].contains(view.state) { sawFailure = true }
                let nodes = try await rig.nodes()
                for name in ["pia2", "pib1"] where (nodes[name]?.appliedRevision ?? 0) != 1 {
                    leaked.append("\(name) applied \(nodes[name]?.appliedRevision ?? 0)")
                }
            }, until: { $0.state == "reverted" })
            let revertedAt = Date()
            #expect(leaked.isEmpty, "\(leaked)")
            #expect(sawFailure || reverted.state == "reverted")

            // The canary failed with a reason naming its recorder, and was reverted.
            let canary = try #require(reverted.node("pia1"))
            #expect(canary.canary && canary.state == "reverted" && canary.servedRevision == 1)
            #expect(["recorder-failed", "recorder-restarted", "healthy-deadline"].contains(canary.reason), "\(RolloutRig.describe(reverted))")
            #expect(canary.detail?.contains("RA1") == true, "\(RolloutRig.describe(reverted))")
            #expect(reverted.detail?.contains("canary pia1 failed") == true, "\(RolloutRig.describe(reverted))")
            #expect(reverted.nodes.filter { $0.name != "pia1" }.allSatisfy { $0.state == "pending" && $0.servedRevision == 1 })

            // Back on revision 1's recorder, the canary records again: new valid segments.
            let recordsAgain = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(250)) {
                let view = try await fleet.get(RecordingsView.self, APIPath.recordings("RA1"))
                let station = try await rig.stations()["RA1"]
                return view.segments.contains { $0.valid && $0.start > revertedAt }
                    && station?.state == .recording && station?.segmentSeconds == 2
            }
            #expect(recordsAgain, "\(fleet.logs)")
            #expect(try await rig.nodes()["pia1"]?.appliedRevision == 1)

            // The others' recorders were never touched.
            let stations = try await rig.stations()
            #expect(stations["RA2"]?.pid == pids["RA2"] ?? nil && stations["RB1"]?.pid == pids["RB1"] ?? nil)
            #expect(stations["RA2"]?.state == .recording && stations["RB1"]?.state == .recording)
        }
    }
}
