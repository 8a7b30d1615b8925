import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two real `fleet-coordinator serve` processes on one PostgreSQL database, an agent on the
/// second only: what goes through the first (a registration, an apply, a queued command)
/// reaches the agent through the second, woken by LISTEN/NOTIFY instead of waiting for a poll.
/// Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster).
@Suite(.serialized, .timeLimit(.minutes(3)),
       .enabled(if: PostgresServer.enabled, "FLEET_TEST_POSTGRES_URL is not set: PostgreSQL coordinator tests skipped"))
struct PostgresCoordinatorWakeTests {
    @Test func registrationApplyAndCommandThroughOneInstanceReachAnAgentOnTheOther() async throws {
        let server = try PostgresServer()
        try await server.withDatabase { database in
            try await withFleet("pg-wake") { fleet in
                let passwordFile = fleet.dir + "/pg-password"
                try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
                let databaseArguments = ["--database", server.url(database: database), "--database-password-file", passwordFile]
                try await fleet.startCoordinator(extraArguments: databaseArguments)  // a: fleet.url
                let bProcess = try ManagedProcess(
                    label: "coordinator-b", executable: try binary("fleet-coordinator"),
                    arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", fleet.dataDir, "--log-level", "debug"]
                        + databaseArguments,
                    logDir: fleet.dir)
                defer { if bProcess.isRunning { kill(bProcess.pid, SIGKILL) } }
                let b = String(try await bProcess.waitForLine(containing: "listening on").split(separator: " ").last ?? "")
                #expect(await waitUntil(timeout: .seconds(10)) {
                    bProcess.stderr.contains("listening for changes of other coordinators")
                }, "\(bProcess.output)")
                func logs() -> String { fleet.logs + "\n" + bProcess.output }

                let inventory = try fleet.renderInventory("fleet.yaml")
                let applied = try await fleet.fleetctl(["apply", "-f", inventory])
                #expect(applied.status == 0, "\(applied.stderr)")

                // Registered through a, then heartbeating through b with that credential.
                try await fleet.startAgent("recordingpi")
                #expect(try await waitUntil(timeout: .seconds(20)) {
                    try await fleet.nodes()["recordingpi"]?.registered == true
                }, "\(logs())")
                await fleet.stopAgent("recordingpi")
                try await fleet.startAgent("recordingpi", coordinator: b)
                let acceptedByB = try await waitUntil(timeout: .seconds(20)) {
                    let node = try await fleet.get([NodeView].self, APIPath.nodes, at: b).first { $0.name == "recordingpi" }
                    return node?.state == .online && node?.appliedRevision == 1
                }
                #expect(acceptedByB, "a node registered through a heartbeats through b\n\(logs())")
                let agent = try #require(fleet.agents["recordingpi"])
                #expect(!agent.stderr.contains("401"), "\(agent.output)")

                // An apply through a wakes the agent's watch parked on b.
                try await Task.sleep(for: .seconds(2))  // the agent parks its watch on b
                let changed = try fleet.renderInventory("fleet.yaml", replacing: ["segmentSeconds: 300": "segmentSeconds: 240"])
                // Timed from launching `fleetctl apply` (an upper bound: it includes fleetctl's own
                // start and the apply) to the agent logging the new revision; polled concurrently.
                let applyStarted = ContinuousClock.now
                async let reapplied = fleet.fleetctl(["apply", "-f", changed])
                let received = await waitUntil(timeout: .seconds(3), poll: .milliseconds(5)) {
                    agent.stderr.split(separator: "\n").contains { $0.contains("assignment received") && $0.contains("revision=2") }
                }
                let latency = ContinuousClock.now - applyStarted
                let applyOutcome = try await reapplied
                #expect(applyOutcome.status == 0, "\(applyOutcome.stderr)")
                print("pg-wake: the agent on b received revision 2 \(latency) after `fleetctl apply` through a was launched")
                #expect(received, "revision 2 reached the agent on b within 3 s\n\(logs())")
                #expect(latency < .seconds(1), "wake latency \(latency)")

                // A restart queued through a reaches the agent through b.
                let restart = try await fleet.fleetctl(["restart", "recorder", "ROST1"])
                #expect(restart.status == 0, "\(restart.stderr)")
                let delivered = await waitUntil(timeout: .seconds(3), poll: .milliseconds(10)) {
                    agent.stderr.split(separator: "\n").contains { $0.contains("command received") && $0.contains("restartRecorder") }
                }
                #expect(delivered, "the restart queued through a reached the agent on b\n\(logs())")

                let stopped = await bProcess.stop(signal: SIGTERM, timeout: .seconds(10))
                #expect(stopped == 0, "\(bProcess.output)")
            }
        }
    }
}
