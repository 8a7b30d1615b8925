@testable import FleetCoordinator
import Foundation
import Logging
import Synchronization
import Testing

/// The leader lease and registry on PostgreSQL: the contract every backend passes (two
/// `PostgresFleetStore` handles, two pools, on one fresh database), and the server's clock
/// deciding the lease when the store reads it (the default).
/// Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster).
@Suite("Leader lease on PostgreSQL", .enabled(if: TestPostgres.enabled, TestPostgres.skipNote), .timeLimit(.minutes(2)))
struct PostgresLeaseTests {
    /// Everything opened by a test, shut down and dropped at its end.
    final class Opened: Sendable {
        let items = Mutex<[(database: String, stores: [PostgresFleetStore])]>([])

        /// Two handles on a fresh, migrated database.
        func pair(clock: PostgresFleetStore.LeaseClock) async throws -> (PostgresFleetStore, PostgresFleetStore) {
            let database = try await TestPostgres.createDatabase()
            let settings = try TestPostgres.settings(database: database)
            let stores = (0..<2).map { _ in
                PostgresFleetStore(settings: settings, logger: Logger(label: "test-lease"), leaseClock: clock)
            }
            items.withLock { $0.append((database, stores)) }
            try await stores[0].migrate()
            return (stores[0], stores[1])
        }

        func close() async {
            for (database, stores) in items.withLock({ $0 }) {
                for store in stores { await store.shutdown() }
                try? await TestPostgres.dropDatabase(database)
            }
        }
    }

    @Test func postgresTwoHandlesOnOneDatabasePassTheLeaseContract() async throws {
        let opened = Opened()
        do {
            try await LeaseContract.run { try await opened.pair(clock: .caller) }
        } catch {
            await opened.close()
            throw error
        }
        await opened.close()
    }

    /// With the server's clock the `now` an instance passes does not matter: a coordinator
    /// whose clock is far off can neither steal a live lease nor keep an expired one.
    @Test func theServerClockDecidesTheLeaseWhateverTheCallersClockSays() async throws {
        let opened = Opened()
        do {
            try await serverClockChecks(try await opened.pair(clock: .server))
        } catch {
            await opened.close()
            throw error
        }
        await opened.close()
    }

    private func serverClockChecks(_ stores: (PostgresFleetStore, PostgresFleetStore)) async throws {
        let (a, b) = stores
        let past = Date(timeIntervalSince1970: 0)
        let future = Date().addingTimeInterval(365 * 24 * 3600)
        let before = Date()
        let first = try #require(try await a.acquireLease(holder: "a", ttl: 2, now: past))
        #expect(first.term == 1)
        // The expiry is the server's now + TTL (the server runs on this machine).
        #expect(abs(first.expiresAt.timeIntervalSince(before.addingTimeInterval(2))) < 1, "\(first.expiresAt)")
        // A caller whose clock is a year ahead cannot take the live lease.
        #expect(try await b.acquireLease(holder: "b", ttl: 2, now: future) == nil)
        #expect(try await b.isLeader(holder: "a", term: 1, now: future))
        let renewed = try #require(try await a.renewLease(holder: "a", term: 1, ttl: 2, now: past))
        #expect(renewed.term == 1 && renewed.expiresAt >= first.expiresAt)

        // After the TTL on the server's clock the lease is free, whatever the callers pass.
        try await Task.sleep(for: .milliseconds(2_300))
        #expect(try await !a.isLeader(holder: "a", term: 1, now: past))
        #expect(try await a.renewLease(holder: "a", term: 1, ttl: 2, now: past) == nil)
        let taken = try #require(try await b.acquireLease(holder: "b", ttl: 15, now: past))
        #expect(taken.holder == "b" && taken.term == 2)
        // Released: expired at once (term kept), and the next holder gets a higher term.
        try await b.releaseLease(holder: "b", term: 2)
        #expect(try await a.leaseHolder()?.term == 2)
        #expect(try await !a.isLeader(holder: "b", term: 2, now: past))
        #expect(try await a.acquireLease(holder: "a", ttl: 15, now: future)?.term == 3)

        // Released again, then ten holders race on both handles: exactly one wins, term 4.
        try await a.releaseLease(holder: "a", term: 3)
        let winners = try await withThrowingTaskGroup(of: LeaseGrant?.self) { group in
            for index in 0..<10 {
                let store = index % 2 == 0 ? a : b
                group.addTask { try await store.acquireLease(holder: "h\(index)", ttl: 15, now: past) }
            }
            var all: [LeaseGrant] = []
            for try await grant in group { if let grant { all.append(grant) } }
            return all
        }
        #expect(winners.count == 1, "\(winners)")
        #expect(winners.first?.term == 4)
        #expect(try await b.leaseHolder()?.holder == winners.first?.holder)
    }
}
