import FleetProtocol
import Foundation
import Testing

/// Canary first, then batches site by site after `fleetctl rollout promote`; then
/// `fleetctl rollout undo` brings every node back to the previous revision's recorders.
extension RolloutProcessTests {
    @Test func canaryThenSiteBySiteAfterPromoteThenUndo() async throws {
        try await withRolloutRig("rollout-order", segmentSeconds: 2, autoPromote: false, autoRevert: false) { rig in
            let fleet = rig.fleet
            let pids = Dictionary(uniqueKeysWithValues: try await rig.stations().map { ($0.key, $0.value.pid) })
            try await rig.apply(try rig.inventory(segmentSeconds: 1, autoPromote: false, autoRevert: false, name: "revision2.yaml"))

            // Until promotion only the canary gets revision 2: the others stay pending, served
            // revision 1, their agents on revision 1 and their recorders untouched.
            var heldBack: [String] = []
            let atCanary = try await rig.waitRollout(2, timeout: .seconds(45), "canary healthy, waiting for promotion", each: { view in
                for name in ["pia2", "pib1"] {
                    guard let node = view.node(name) else { heldBack.append("\(name) missing"); continue }
                    if node.state != "pending" || node.servedRevision != 1 { heldBack.append("\(name) \(node.state) served \(node.servedRevision)") }
                }
            }, until: { $0.state == "waiting-promotion" })
            #expect(heldBack.isEmpty, "\(heldBack)")
            #expect(atCanary.node("pia1")?.canary == true && atCanary.node("pia1")?.state == "healthy")
            #expect(atCanary.nodes.map(\.name) == ["pia1", "pia2", "pib1"])
            #expect(atCanary.nodes.map(\.batch) == [0, 1, 2])
            #expect(try await rig.running(["pia1"], revision: 2, segmentSeconds: 1))
            #expect(try await rig.running(["pia2", "pib1"], revision: 1, segmentSeconds: 2))
            let stations = try await rig.stations()
            #expect(stations["RA2"]?.pid == pids["RA2"] ?? nil && stations["RB1"]?.pid == pids["RB1"] ?? nil)
            // `get stations` shows what a held-back station records with, not the revision's value.
            #expect(stations["RA1"]?.segmentSeconds == 1)
            #expect(stations["RA2"]?.segmentSeconds == 2 && stations["RB1"]?.segmentSeconds == 2)

            // Promote with the real fleetctl: pia2 (site a) then pib1 (site b), one at a time.
            let promote = try await fleet.fleetctl(["rollout", "promote"])
            #expect(promote.status == 0, "\(promote.stdout)\(promote.stderr)")
            let order = try await releaseOrder(rig, revision: 2)
            #expect(order.released == ["pia2", "pib1"])
            #expect(order.overlaps.isEmpty, "pib1 released before pia2 was healthy: \(order.overlaps)")
            let converged = try await waitUntil(timeout: .seconds(20), poll: .milliseconds(200)) {
                try await rig.running(RolloutRig.nodes, revision: 2, segmentSeconds: 1)
            }
            #expect(converged, "\(fleet.logs)")

            // Undo (fleetctl): revision 3 re-applies revision 1's inventory, staged the same way.
            let undo = try await fleet.fleetctl(["rollout", "undo"])
            #expect(undo.status == 0, "\(undo.stdout)\(undo.stderr)")
            #expect(undo.stdout.contains("re-applied the inventory of revision 1"), "\(undo.stdout)")
            try await rig.waitRollout(3, timeout: .seconds(45), "undo canary waiting for promotion") { $0.state == "waiting-promotion" }
            #expect(try await fleet.fleetctl(["rollout", "promote"]).status == 0)
            let undone = try await releaseOrder(rig, revision: 3)
            #expect(undone.released == ["pia2", "pib1"])
            let restored = try await waitUntil(timeout: .seconds(20), poll: .milliseconds(200)) {
                try await rig.running(RolloutRig.nodes, revision: 3, segmentSeconds: 2)
            }
            #expect(restored, "\(fleet.logs)")
        }
    }

    /// Follows the rollout of `revision` after promotion to `succeeded`: the order in which
    /// the non-canary nodes left `pending`, and any moment a later node was released while an
    /// earlier one was not yet healthy.
    private func releaseOrder(_ rig: RolloutRig, revision: Int) async throws -> (released: [String], overlaps: [String]) {
        var released: [String] = []
        var overlaps: [String] = []
        try await rig.waitRollout(revision, timeout: .seconds(60), "promoted rollout succeeds", each: { view in
            for node in view.nodes where node.batch > 0 && node.state != "pending" && !released.contains(node.name) {
                released.append(node.name)
            }
            if let b = view.node("pib1"), b.state != "pending", view.node("pia2")?.state != "healthy" {
                overlaps.append(RolloutRig.describe(view))
            }
        }, until: { $0.state == "succeeded" })
        return (released, overlaps)
    }
}
