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
        let server = try PostgresServer()
        let dir = try makeScratchDir("pg-leader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataDir = dir + "/coordinator"
        let passwordFile = dir + "/pg-password"
        try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)

        try await server.withDatabase { database in
            func start(_ label: String) async throws -> (process: ManagedProcess, url: String) {
                let process = try ManagedProcess(
                    label: label, executable: try binary("fleet-coordinator"),
                    arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
                                "--database", server.url(database: database), "--database-password-file", passwordFile,
                                "--lease-ttl", "3s", "--lease-renew", "500ms", "--log-level", "info"],
                    logDir: dir)
                let line = try await process.waitForLine(containing: "listening on")
                return (process, String(line.split(separator: " ").last ?? ""))
            }
            func coordinators(via url: String) async throws -> [CoordinatorView] {
                let outcome = try await runCommand(try binary("fleetctl"),
                                                   ["get", "coordinators", "-o", "json", "--coordinator", url],
                                                   environment: ["FLEET_TOKEN_FILE": dataDir + "/admin.token"])
                #expect(outcome.status == 0, "\(outcome.stderr)")
                return try WireCoding.decode([CoordinatorView].self, from: Data(outcome.stdout.utf8))
            }

            // a starts first (and creates the tables and token files), then b on the same database.
            let a = try await start("pg-coordinator-a")
            let b = try await start("pg-coordinator-b")
            defer {
                if a.process.isRunning { kill(a.process.pid, SIGKILL) }
                if b.process.isRunning { kill(b.process.pid, SIGKILL) }
            }
            #expect(!a.process.stderr.contains("leads alone"), "the PostgreSQL store takes part in the lease")

            for url in [a.url, b.url] {
                let listed = try await coordinators(via: url)
                #expect(Set(listed.map(\.url)) == [a.url, b.url], "both instances are registered")
                #expect(listed.filter(\.leader).map(\.url) == [a.url], "exactly one leader, the first to start")
            }
            let termA = try #require(try await coordinators(via: b.url).first { $0.leader }?.term)

            // SIGKILL the leader: b takes over once a's lease expires (TTL after its last renewal).
            let killed = ContinuousClock.now
            await a.process.stop(signal: SIGKILL)
            var leader: CoordinatorView?
            let tookOver = try await waitUntil(timeout: Self.ttl + .seconds(5), poll: .milliseconds(200)) {
                leader = try await coordinators(via: b.url).first { $0.leader }
                return leader?.url == b.url
            }
            #expect(tookOver, "b leads after a died; logs:\n\(a.process.output)\n\(b.process.output)")
            #expect(ContinuousClock.now - killed < Self.ttl + .seconds(3))
            #expect((leader?.term ?? 0) > termA, "a higher term")
            #expect(b.process.stderr.contains("this coordinator is now the leader"))

            // A clean stop of the new leader releases the lease: logged as such, exit 0.
            let status = await b.process.stop(signal: SIGTERM, timeout: .seconds(10))
            #expect(status == 0)
            #expect(b.process.stderr.contains("this coordinator is no longer the leader"))
        }
    }
}
