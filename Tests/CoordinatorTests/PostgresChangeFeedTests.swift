@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Synchronization
import Testing

/// Two `Fleet`s on one PostgreSQL database, each with its own store and change feed: an
/// apply through one wakes a watch parked on the other, and after the listening connection
/// is dropped the feed resyncs, so a revision announced while it was away is still taken;
/// a registration and a reset through one are followed by the other.
/// Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster).
@Suite("Change feed on PostgreSQL", .enabled(if: TestPostgres.enabled, TestPostgres.skipNote), .timeLimit(.minutes(3)))
struct PostgresChangeFeedTests {
    static func inventory(heartbeat: Int) -> [ApplyRequest.File] {
        [ApplyRequest.File(path: "f.yaml",
                           content: "defaults:\n  heartbeatSeconds: \(heartbeat)\nsites:\n  s: {}\nnodes:\n  pi1: {site: s}\n")]
    }

    @Test func aDroppedListenConnectionResyncsAndTheMissedRevisionIsTaken() async throws {
        try await TestPostgres.withDatabase { settings in
            let storeA = PostgresFleetStore(settings: settings, logger: Logger(label: "feed-a"))
            let storeB = PostgresFleetStore(settings: settings, logger: Logger(label: "feed-b"))
            let a = Fleet(store: storeA, logger: Logger(label: "fleet-a"), metrics: CoordinatorMetrics(), secretFiles: .skip)
            let b = Fleet(store: storeB, logger: Logger(label: "fleet-b"), metrics: CoordinatorMetrics(), secretFiles: .skip)
            try await a.load()
            try await b.load()
            let feedA = PostgresChangeFeed(store: storeA, logger: Logger(label: "feed-a"))
            // b reconnects slowly, so that an apply lands while it does not listen.
            let feedB = PostgresChangeFeed(store: storeB, logger: Logger(label: "feed-b"), backoff: (.seconds(3), .seconds(3)))
            await a.attach(feed: feedA)
            await b.attach(feed: feedB)
            let seen = Seen()
            let following = Task { [feedB, b, seen] in
                for await change in feedB.changes() {
                    seen.items.withLock { $0.append(change) }
                    await b.follow(change)
                }
            }
            defer { following.cancel() }
            func resyncs() -> Int { seen.items.withLock { $0.filter { $0 == .resync }.count } }
            #expect(try await waitFor(.seconds(20)) { resyncs() == 1 }, "b listens")

            // An apply through a wakes a watch parked on b.
            async let parked = b.watch(node: "pi1", knownRevision: 0, timeout: .seconds(30))
            #expect(try await waitFor(.seconds(10)) { await b.watchCount == 1 })
            let start = ContinuousClock.now
            _ = try await a.apply(files: Self.inventory(heartbeat: 1), dryRun: false)
            let woken = await parked
            let latency = ContinuousClock.now - start
            print("change feed: watch on b woke \(latency) after the apply through a")
            #expect(woken.assignment?.revision == 1)
            // Woken by the notification, not by the 30 s watch timeout; on a loaded machine the
            // apply's own announcement may arrive late, so allow 5 s here (the 1 s bound is
            // checked on the best of several applies in PostgresCoordinatorWakeTests).
            #expect(latency < .seconds(5))

            // A registration through a: b takes the credential (notification), and a reset
            // through a makes b refuse it again.
            let registered = try await a.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
            #expect(try await waitFor(.seconds(10)) { await b.registry.isRegistered("pi1") }, "b heard of the registration")
            #expect(try await b.authorize(nodeToken: registered.nodeToken, for: "pi1") == .allowed)
            try await a.resetNode("pi1")
            #expect(try await waitFor(.seconds(10)) {
                try await b.authorize(nodeToken: registered.nodeToken, for: "pi1") == .invalid
            }, "b refuses a credential reset through a")

            // Drop every LISTEN session: b stays away for its 3 s back-off, and revision 2 is
            // announced meanwhile (on a slow machine perhaps after b is back: then it is heard).
            func listeners() async throws -> Int {
                Int(try await storeA.texts("""
                    SELECT count(*)::text FROM pg_stat_activity
                    WHERE datname = current_database() AND query LIKE 'LISTEN%'
                    """).first ?? "") ?? -1
            }
            #expect(try await waitFor(.seconds(10)) { try await listeners() == 2 }, "a and b listen")
            try await TestPostgres.run(settings, """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()
                """)
            #expect(try await waitFor(.seconds(10)) { try await listeners() < 2 }, "b's LISTEN connection is gone")
            _ = try await a.apply(files: Self.inventory(heartbeat: 2), dryRun: false)
            if resyncs() == 1 {
                #expect(!seen.items.withLock { $0.contains(.revision(2)) }, "b did not hear revision 2")
            }
            #expect(try await waitFor(.seconds(20)) { resyncs() == 2 }, "b resynced after reconnecting")
            let caughtUp = await b.watch(node: "pi1", knownRevision: 1, timeout: .seconds(5))
            #expect(caughtUp.assignment?.revision == 2, "the missed revision was taken on resync")
            #expect(caughtUp.assignment?.heartbeatSeconds == 2)

            following.cancel()
            await feedA.stop()
            await feedB.stop()
            await storeA.shutdown()
            await storeB.shutdown()
        }
    }

    /// What b's feed yielded, in order.
    final class Seen: Sendable {
        let items = Mutex<[StoreChange]>([])
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    func waitFor(_ timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
