@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

/// A staged rollout with two coordinators on one store: the leader decides, announces each
/// release once it is stored, and the follower serves the same assignments (an agent watching
/// the follower is released by the leader's promote, not only by the next revision).
@Suite("Staged rollout shared between coordinators", .timeLimit(.minutes(1)))
struct SharedRolloutTests {
    /// Records what a fleet announces (the real feed is PostgreSQL's NOTIFY).
    final class RecordingFeed: StoreChangeFeed {
        let sent = NIOLockedValueBox<[StoreChange]>([])
        var isShared: Bool { true }
        func notify(_ change: StoreChange) async { sent.withLockedValue { $0.append(change) } }
        func changes() -> AsyncStream<StoreChange> { AsyncStream { $0.finish() } }
        func stop() async {}
    }

    @Test func theFollowerServesWhatTheLeadersRolloutReleased() async throws {
        let pair = try await LeaderAndFollower.make(defaultHeartbeatSeconds: 5)
        defer { pair.remove() }
        let (a, b) = (pair.leader, pair.follower)
        let feed = RecordingFeed()
        await a.attach(feed: feed)
        await a.tick()
        let termA = await a.leaderTerm
        let termB = await b.leaderTerm
        #expect(termA != nil && termB == nil, "a leads")

        let rollouts = FleetRolloutTests()
        #expect(try await rollouts.apply(a, FleetRolloutTests.inventory(dir: "/srv/a")) == 1)
        for index in 1...5 { _ = try await a.register(RegistrationRequest(name: "pi\(index)", agentVersion: "t")) }
        for index in 1...5 { try await rollouts.report(a, "pi\(index)", bytes: 1) }
        #expect(try await rollouts.apply(a, FleetRolloutTests.inventory(dir: "/srv/b")) == 2)
        await b.follow(.revision(2))
        #expect(try await rollouts.served(a) == [2, 1, 1, 1, 1])
        #expect(try await rollouts.served(b) == [2, 1, 1, 1, 1], "b serves the canary decision of the revision it loaded")

        // pi2 watches b with its old revision; the leader's promote releases it there too.
        let watch = Task { await b.watch(node: "pi2", knownRevision: 1, timeout: .seconds(30)) }
        try await rollouts.reportUntil(a) { $0?.state == "waiting-promotion" }
        _ = try await a.controlRollout(.promote)
        #expect(try await rollouts.served(a) == [2, 2, 2, 1, 1])
        #expect(feed.sent.withLockedValue { $0 }.contains(.rollout(revision: 2)), "the release was announced")
        await b.follow(.rollout(revision: 2))
        #expect(try await rollouts.served(b) == [2, 2, 2, 1, 1])
        #expect(await watch.value.assignment?.revision == 2, "the watch on b woke with the released assignment")
        let batchA = await a.rolloutStatus()?.currentBatch
        #expect(await b.rolloutStatus()?.currentBatch == batchA)

        // An announcement of an older revision's rollout changes nothing; a resync takes the latest.
        await b.follow(.rollout(revision: 1))
        #expect(try await rollouts.served(b) == [2, 2, 2, 1, 1])
        try await rollouts.reportUntil(a) { ($0?.currentBatch ?? 0) == 3 }
        await b.follow(.resync)
        #expect(try await rollouts.served(b) == [2, 2, 2, 2, 2])
    }
}
