import FleetProtocol
import Foundation
import Testing

/// A node whose agent is stopped when its turn comes is `waiting-offline`; the rollout goes
/// on without it, and when its agent starts again it gets the rollout's decided revision.
extension RolloutProcessTests {
    @Test func offlineNodeWaitsAndGetsTheDecidedRevisionWhenBack() async throws {
        try await withRolloutRig("rollout-offline", segmentSeconds: 2, autoPromote: true, autoRevert: true) { rig in
            let fleet = rig.fleet
            await fleet.stopAgent("pib1")
            let offline = try await waitUntil(timeout: .seconds(15), poll: .milliseconds(200)) {
                try await rig.nodes()["pib1"]?.state == .offline
            }
            #expect(offline, "\(fleet.logs)")

            try await rig.apply(try rig.inventory(segmentSeconds: 1, autoPromote: true, autoRevert: true, name: "revision2.yaml"))
            let done = try await rig.waitRollout(2, timeout: .seconds(60), "rollout succeeds around the offline node") {
                $0.state == "succeeded"
            }
            let waiting = try #require(done.node("pib1"))
            #expect(waiting.state == "waiting-offline" && waiting.reason == "offline-at-release", "\(RolloutRig.describe(done))")
            #expect(waiting.servedRevision == 2)
            #expect(done.node("pia1")?.state == "healthy" && done.node("pia2")?.state == "healthy", "\(RolloutRig.describe(done))")
            #expect(done.status.contains("pib1 get it when back online"), "\(done.status)")
            #expect(try await rig.running(["pia1", "pia2"], revision: 2, segmentSeconds: 1))
            #expect(try await rig.nodes()["pib1"]?.appliedRevision == 1)

            // Back online: it runs revision 2 and is judged like any released node.
            try await fleet.startAgent("pib1")
            let caughtUp = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(200)) {
                try await rig.running(["pib1"], revision: 2, segmentSeconds: 1)
            }
            #expect(caughtUp, "\(fleet.logs)")
            let judged = try await rig.waitRollout(2, timeout: .seconds(30), "pib1 healthy after its return") {
                $0.node("pib1")?.state == "healthy"
            }
            #expect(judged.state == "succeeded" && judged.status == "succeeded", "\(RolloutRig.describe(judged))")
        }
    }
}
