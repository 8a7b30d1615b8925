import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two real coordinators on one PostgreSQL database and three real agents given both URLs:
/// the agents spread over the two (by a hash of their names), and when the leader is
/// SIGKILLed the agents on it fail over to the other without registering again, every node
/// stays online there (no missed or offline event stored), and the survivor takes over the
/// lease. Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster).
@Suite(.serialized, .timeLimit(.minutes(2)),
       .enabled(if: PostgresServer.enabled, "FLEET_TEST_POSTGRES_URL is not set: PostgreSQL coordinator tests skipped"))
struct PostgresAgentFailoverTests {
    /// With the URL list "a,b", FNV-1a of the name picks b for pi1 and pi3 and a for pi2.
    static let nodes = ["pi1", "pi2", "pi3"]
    /// Heartbeat every 3 s: missed after 2 × 3 s + 2 s (the shared-liveness grace).
    static let inventory = """
        sites:
          lab: {labels: {region: test}}
        defaults:
          heartbeatSeconds: 3
        nodes:
          pi1: {site: lab}
          pi2: {site: lab}
          pi3: {site: lab}

        """

    @Test func agentsGivenBothURLsKeepHeartbeatingThroughALeaderKill() async throws {
        let server = try PostgresServer()
        let dir = try makeScratchDir("pg-agent-failover")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataDir = dir + "/coordinator"
        let passwordFile = dir + "/pg-password"
        try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try Self.inventory.write(toFile: dir + "/fleet.yaml", atomically: true, encoding: .utf8)
        let admin = ["FLEET_TOKEN_FILE": dataDir + "/admin.token"]

        try await server.withDatabase { database in
            var processes: [ManagedProcess] = []
            defer { for process in processes where process.isRunning { kill(process.pid, SIGKILL) } }
            func start(_ label: String) async throws -> (ManagedProcess, String) {
                let process = try ManagedProcess(
                    label: label, executable: try binary("fleet-coordinator"),
                    arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
                                "--database", server.url(database: database), "--database-password-file", passwordFile,
                                "--lease-ttl", "3s", "--lease-renew", "500ms", "--log-level", "info"],
                    logDir: dir)
                processes.append(process)
                let line = try await process.waitForLine(containing: "listening on")
                return (process, String(line.split(separator: " ").last ?? ""))
            }
            func fleetctl(_ arguments: [String], via url: String) async throws -> String {
                let outcome = try await runCommand(try binary("fleetctl"), arguments + ["--coordinator", url], environment: admin)
                guard outcome.status == 0 else { throw HarnessError.http("fleetctl \(arguments): \(outcome.stderr)") }
                return outcome.stdout
            }
            func nodes(via url: String) async throws -> [String: NodeView] {
                let listed = try WireCoding.decode([NodeView].self,
                                                   from: Data(try await fleetctl(["get", "nodes", "-o", "json"], via: url).utf8))
                return Dictionary(listed.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            }
            func liveness(via url: String) async throws -> Int {
                var stored = 0
                for name in Self.nodes {
                    let view = try WireCoding.decode(NodeView.self, from: Data(
                        try await fleetctl(["describe", "node", name, "-o", "json"], via: url).utf8))
                    stored += (view.recentEvents ?? []).filter { ["node.missed", "node.offline"].contains($0.kind) }.count
                }
                return stored
            }
            var logs: String { processes.map(\.output).joined(separator: "\n") }

            let (a, urlA) = try await start("failover-coordinator-a")
            _ = try await fleetctl(["apply", "-f", dir + "/fleet.yaml"], via: urlA)
            let (_, urlB) = try await start("failover-coordinator-b")
            var agents: [String: ManagedProcess] = [:]
            for name in Self.nodes {
                let agent = try ManagedProcess(
                    label: "failover-agent-\(name)", executable: try binary("fleet-agent"),
                    arguments: ["run", "--coordinator", "\(urlA),\(urlB)", "--join-token-file", dataDir + "/join.token",
                                "--state-dir", dir + "/agent-\(name)", "--name", name, "--status-listen", "off",
                                "--log-level", "info"],
                    logDir: dir)
                processes.append(agent)
                agents[name] = agent
            }

            // All three online on both instances: pi2 reports to a, pi1 and pi3 to b.
            let online = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(250)) {
                for url in [urlA, urlB] {
                    let views = try await nodes(via: url)
                    guard Self.nodes.allSatisfy({ views[$0]?.state == .online && views[$0]?.appliedRevision == 1 }) else { return false }
                }
                return true
            }
            #expect(online, "three nodes online on both; logs:\n\(logs)")
            let registrations = Self.nodes.map { agents[$0]?.stderr.components(separatedBy: "] registered").count ?? 0 }

            // SIGKILL the leader (a): pi2 fails over to b, b takes over the lease.
            await a.stop(signal: SIGKILL)
            let failedOver = await waitUntil(timeout: .seconds(20)) {
                agents["pi2"]?.stderr.contains("failed over to coordinator") == true
            }
            #expect(failedOver, "pi2 moved to b; logs:\n\(logs)")
            let leads = try await waitUntil(timeout: .seconds(15), poll: .milliseconds(250)) {
                let listed = try WireCoding.decode([CoordinatorView].self, from: Data(
                    try await fleetctl(["get", "coordinators", "-o", "json"], via: urlB).utf8))
                return listed.first { $0.leader }?.url == urlB
            }
            #expect(leads, "b leads after a died; logs:\n\(logs)")

            // For longer than the missed limit (8 s) after the kill: all three stay online on b
            // with fresh heartbeats, and no missed or offline event is stored.
            var oldest = 0.0
            let fell = try await waitUntil(timeout: .seconds(12), poll: .milliseconds(500)) {
                let views = try await nodes(via: urlB)
                for name in Self.nodes { oldest = max(oldest, views[name]?.lastHeartbeatAgeSeconds ?? 99) }
                return !Self.nodes.allSatisfy { views[$0]?.state == .online } || oldest >= 8
            }
            #expect(!fell, "a node fell behind on b (oldest heartbeat age \(oldest) s); logs:\n\(logs)")
            #expect(try await liveness(via: urlB) == 0, "no missed or offline event; logs:\n\(logs)")
            // No agent registered again: each keeps the credential it had.
            let after = Self.nodes.map { agents[$0]?.stderr.components(separatedBy: "] registered").count ?? 0 }
            #expect(after == registrations, "no re-registration; logs:\n\(logs)")
        }
    }
}
