@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

/// Liveness shared by two coordinators on one store: the leader sees heartbeats the follower
/// took, both agree on offline, and each liveness transition is stored once, by the leader.
@Suite("Shared liveness of coordinators on one store", .timeLimit(.minutes(1)))
struct SharedLivenessTests {
    @Test func theLeaderSeesTheFollowersHeartbeatsAndAloneStoresTransitions() async throws {
        let pair = try await LeaderAndFollower.make()
        defer { pair.remove() }
        let (leader, follower, storeA) = (pair.leader, pair.follower, pair.leaderStore)
        for (fleet, lease) in [(leader, pair.leaderLease), (follower, pair.followerLease)] {
            await fleet.shareLiveness(writer: lease.instanceID)
        }
        #expect(await leader.leaderTerm != nil)
        #expect(await follower.leaderTerm == nil)
        func kinds() async throws -> [String] {
            try await storeA.recentEvents(node: "pi1", station: nil, limit: 20).map(\.kind).filter { $0.hasPrefix("node.") }.sorted()
        }

        // pi1 registers and reports to the follower only; the leader learns both from the store.
        _ = try await follower.register(RegistrationRequest(name: "pi1", agentVersion: "1"))
        let report = StatusReport(agentVersion: "1", uptimeSeconds: 7, appliedRevision: 0)
        _ = try await follower.heartbeat(node: "pi1", report: report)
        #expect(await leader.state(of: "pi1") == .pending)
        await follower.flushSnapshots()
        await leader.pullSnapshots()
        #expect(await leader.state(of: "pi1") == .online)
        #expect(await leader.nodeView("pi1", now: Date()).registered)
        #expect(await leader.observed["pi1"]?.report.uptimeSeconds == 7)
        #expect(try await kinds() == ["node.registered"])

        // Silent past the offline limit (3 × 10 s + the sync grace): both call it offline; one event.
        let later = Date().addingTimeInterval(60)
        await leader.tick(now: later)
        await follower.tick(now: later)
        #expect(await leader.state(of: "pi1") == .offline)
        #expect(await follower.state(of: "pi1") == .offline)
        #expect(try await kinds() == ["node.offline", "node.registered"])

        // It reports to the follower again: the leader brings it back online and stores that once.
        _ = try await follower.heartbeat(node: "pi1", report: report)
        await follower.flushSnapshots()
        await leader.pullSnapshots()
        await leader.pullSnapshots()  // the overlap reads the row again: nothing changes
        #expect(await leader.state(of: "pi1") == .online)
        #expect(try await kinds() == ["node.offline", "node.online", "node.registered"])

        // The leader's older view never overwrites the newer row the follower wrote.
        let stored = try #require(try await storeA.loadSnapshots().first { $0.name == "pi1" })
        try await storeA.saveSnapshots([NodeSnapshot(name: "pi1", lastHeartbeat: stored.lastHeartbeat.addingTimeInterval(-5),
                                                     agentVersion: "0", appliedRevision: 0, report: report)], writer: "a")
        #expect(try await storeA.loadSnapshots().first { $0.name == "pi1" } == stored)
    }
}
