@testable import FleetCoordinator
import Foundation

/// Two coordinators' fleets on one SQLite file, each with its own connection and lease; the
/// first (`leader`) starts its lease first and leads. For tests of what several coordinators
/// share; `stop()` releases both leases, `remove()` deletes the file.
///
/// ```swift
/// let pair = try await LeaderAndFollower.make()
/// defer { pair.remove() }
/// _ = try await pair.follower.register(RegistrationRequest(name: "pi1", agentVersion: "1"))
/// ```
struct LeaderAndFollower {
    let leader: Fleet
    let follower: Fleet
    let leaderStore: SQLiteFleetStore
    let leaderLease: Leadership
    let followerLease: Leadership
    let dir: String

    static func make(defaultHeartbeatSeconds: Int = 10) async throws -> LeaderAndFollower {
        let (storeA, dir) = try await LeaderLeaseTests.scratchStore()
        let storeB = try SQLiteFleetStore(path: dir + "/coordinator.sqlite")
        let logger = LeadershipTests.logger()
        let leaderLease = Leadership(store: storeA, url: "http://127.0.0.1:1", timing: LeadershipTests.timing, logger: logger,
                                     instanceID: "a")
        let followerLease = Leadership(store: storeB, url: "http://127.0.0.1:2", timing: LeadershipTests.timing, logger: logger,
                                       instanceID: "b")
        await leaderLease.start()
        await followerLease.start()
        let leader = Fleet(store: storeA, logger: logger, metrics: CoordinatorMetrics(),
                           defaultHeartbeatSeconds: defaultHeartbeatSeconds)
        let follower = Fleet(store: storeB, logger: logger, metrics: CoordinatorMetrics(),
                             defaultHeartbeatSeconds: defaultHeartbeatSeconds)
        for (fleet, lease) in [(leader, leaderLease), (follower, followerLease)] {
            try await fleet.load()
            await fleet.attach(lease)
        }
        return LeaderAndFollower(leader: leader, follower: follower, leaderStore: storeA, leaderLease: leaderLease,
                                 followerLease: followerLease, dir: dir)
    }

    /// Releases both leases (in the background, as a `defer` cannot await) and deletes the file.
    func remove() {
        let (a, b) = (leaderLease, followerLease)
        Task { await a.stop(release: true); await b.stop(release: true) }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
