import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two real `fleet-coordinator serve` processes on one PostgreSQL database: the lease row
/// (on the server's clock) elects one leader, `fleetctl get coordinators` shows it from
/// either, and after the leader is SIGKILLed the other takes over within the lease TTL with a
/// higher term. Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster).
@Suite(.serialized, .timeLimit(.minutes(2)),
       .enabled(if: PostgresServer.enabled, "FLEET_TEST_POSTGRES_URL is not set: PostgreSQL coordinator tests skipped"))
struct PostgresCoordinatorLeaderTests {
    static let ttl: Duration = .seconds(3)

    @Test func twoProcessesOnOnePostgresDatabaseElectOneLeaderAndFailOver() async throws {
        try await withPostgresCoordinators("pg-leader") { group in
            // a starts first (and creates the tables and token files), then b on the same database.
            let (a, urlA) = try await group.start("pg-coordinator-a")
            let (b, urlB) = try await group.start("pg-coordinator-b")
            #expect(!a.stderr.contains("leads alone"), "the PostgreSQL store takes part in the lease")

            for url in [urlA, urlB] {
                let listed = try await group.coordinators(via: url)
                #expect(Set(listed.map(\.url)) == [urlA, urlB], "both instances are registered")
                #expect(listed.filter(\.leader).map(\.url) == [urlA], "exactly one leader, the first to start")
            }
            let termA = try #require(try await group.coordinators(via: urlB).first { $0.leader }?.term)

            // SIGKILL the leader: b takes over once a's lease expires (TTL after its last renewal).
            let killed = ContinuousClock.now
            await a.stop(signal: SIGKILL)
            var leader: CoordinatorView?
            let tookOver = try await waitUntil(timeout: Self.ttl + .seconds(5), poll: .milliseconds(200)) {
                leader = try await group.coordinators(via: urlB).first { $0.leader }
                return leader?.url == urlB
            }
            #expect(tookOver, "b leads after a died; logs:\n\(group.logs)")
            #expect(ContinuousClock.now - killed < Self.ttl + .seconds(3))
            #expect((leader?.term ?? 0) > termA, "a higher term")
            #expect(b.stderr.contains("this coordinator is now the leader"))

            // A clean stop of the new leader releases the lease: logged as such, exit 0.
            let status = await b.stop(signal: SIGTERM, timeout: .seconds(10))
            #expect(status == 0)
            #expect(b.stderr.contains("this coordinator is no longer the leader"))
        }
    }
}
