import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two real coordinators on one PostgreSQL database and a real agent that heartbeats only to
/// the one that does not lead: the leader sees it online with its report (merged from the
/// other instance's snapshots) and raises nothing while it heartbeats; once the agent stops,
/// both call it offline, exactly one offline event is stored and the leader's NodeOffline
/// fires. Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster).
@Suite(.serialized, .timeLimit(.minutes(2)),
       .enabled(if: PostgresServer.enabled, "FLEET_TEST_POSTGRES_URL is not set: PostgreSQL coordinator tests skipped"))
struct PostgresSharedLivenessTests {
    static let node = "pi-remote"
    /// Heartbeat every 3 s: missed after 2 × 3 s + 2 s (sync grace), offline after 3 × 3 s + 2 s,
    /// well above the 1 s flush + 1 s pull a heartbeat takes to reach the leader.
    static let inventory = """
        sites:
          lab: {labels: {region: test}}
        defaults:
          heartbeatSeconds: 3
        nodes:
          \(node): {site: lab}
        alerts:
          thresholds: {nodeOfflineAfter: 10s}
          receivers:
            hook: {webhook: {url: "http://127.0.0.1:9/hook"}}
          route:
            receiver: hook

        """

    @Test func aNodeAttachedToTheFollowerIsLiveOnTheLeaderAndGoesOfflineOnce() async throws {
        let server = try PostgresServer()
        let dir = try makeScratchDir("pg-liveness")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataDir = dir + "/coordinator"
        let passwordFile = dir + "/pg-password"
        try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try Self.inventory.write(toFile: dir + "/fleet.yaml", atomically: true, encoding: .utf8)
        let admin = ["FLEET_TOKEN_FILE": dataDir + "/admin.token"]

        try await server.withDatabase { database in
            var processes: [ManagedProcess] = []
            defer { for process in processes where process.isRunning { kill(process.pid, SIGKILL) } }
            func start(_ label: String) async throws -> String {
                let process = try ManagedProcess(
                    label: label, executable: try binary("fleet-coordinator"),
                    arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
                                "--database", server.url(database: database), "--database-password-file", passwordFile,
                                "--lease-ttl", "3s", "--lease-renew", "500ms", "--log-level", "info"],
                    logDir: dir)
                processes.append(process)
                let line = try await process.waitForLine(containing: "listening on")
                return String(line.split(separator: " ").last ?? "")
            }
            func fleetctl(_ arguments: [String], via url: String) async throws -> String {
                let outcome = try await runCommand(try binary("fleetctl"), arguments + ["--coordinator", url], environment: admin)
                guard outcome.status == 0 else { throw HarnessError.http("fleetctl \(arguments): \(outcome.stderr)") }
                return outcome.stdout
            }
            func node(via url: String) async throws -> NodeView? {
                let listed = try WireCoding.decode([NodeView].self,
                                                   from: Data(try await fleetctl(["get", "nodes", "-o", "json"], via: url).utf8))
                return listed.first { $0.name == Self.node }
            }
            func events(_ kind: String, via url: String) async throws -> Int {
                let view = try WireCoding.decode(NodeView.self, from: Data(
                    try await fleetctl(["describe", "node", Self.node, "-o", "json"], via: url).utf8))
                return (view.recentEvents ?? []).filter { $0.kind == kind }.count
            }
            func nodeOfflineAlert(via url: String) async throws -> Bool {
                try await fleetctl(["get", "alerts", "-o", "json"], via: url).contains("NodeOffline")
            }
            var logs: String { processes.map(\.output).joined(separator: "\n") }

            // The first to start leads; the inventory is applied before the second starts.
            let leader = try await start("liveness-coordinator-a")
            _ = try await fleetctl(["apply", "-f", dir + "/fleet.yaml"], via: leader)
            let follower = try await start("liveness-coordinator-b")
            let coordinators = try WireCoding.decode([CoordinatorView].self, from: Data(
                try await fleetctl(["get", "coordinators", "-o", "json"], via: follower).utf8))
            #expect(coordinators.filter(\.leader).map(\.url) == [leader], "a leads")

            // The agent knows only the follower's URL.
            let agent = try ManagedProcess(
                label: "liveness-agent", executable: try binary("fleet-agent"),
                arguments: ["run", "--coordinator", follower, "--join-token-file", dataDir + "/join.token",
                            "--state-dir", dir + "/agent", "--name", Self.node, "--status-listen", "127.0.0.1:0",
                            "--log-level", "info"],
                logDir: dir)
            processes.append(agent)

            // The leader shows it online, registered, with its report (agent version, applied revision).
            let live = try await waitUntil(timeout: .seconds(20), poll: .milliseconds(250)) {
                guard let view = try await node(via: leader) else { return false }
                return view.state == .online && view.registered && view.agentVersion != nil && view.appliedRevision == 1
            }
            #expect(live, "the leader sees the follower's node; logs:\n\(logs)")

            // While it heartbeats (a look longer than the 11 s offline limit): never offline or
            // missed on the leader, no NodeOffline, its heartbeat age stays under the missed limit.
            var oldest = 0.0
            let fell = try await waitUntil(timeout: .seconds(12), poll: .milliseconds(500)) {
                let view = try await node(via: leader)
                oldest = max(oldest, view?.lastHeartbeatAgeSeconds ?? 99)
                return view?.state != .online || (oldest >= 8)
            }
            #expect(!fell, "the leader lost the heartbeats (oldest age \(oldest)s); logs:\n\(logs)")
            #expect(try await events("node.offline", via: leader) == 0)
            #expect(try await events("node.missed", via: leader) == 0)
            #expect(!(try await nodeOfflineAlert(via: leader)))

            // The agent stops: offline on both instances, one offline event, the leader's alert fires.
            await agent.stop(signal: SIGTERM)
            let offline = try await waitUntil(timeout: .seconds(25), poll: .milliseconds(250)) {
                guard try await node(via: leader)?.state == .offline,
                      try await node(via: follower)?.state == .offline else { return false }
                return try await nodeOfflineAlert(via: leader)
            }
            #expect(offline, "offline on both and NodeOffline on the leader; logs:\n\(logs)")
            #expect(try await events("node.offline", via: follower) == 1, "exactly one stored offline event")
            #expect(try await events("node.missed", via: follower) <= 1, "no duplicate missed event")
        }
    }
}
