import FleetProtocol
import Foundation
import Testing

/// Identity reuse, failover between coordinator URLs, and running on while the coordinator is away.
@Suite(.serialized) struct AgentIdentityTests {
    @Test func agentReusesItsIdentityAndFailsOver() async throws {
        try await withFleet("identity") { fleet in
            try await fleet.startCoordinator()
            // The first URL has nobody listening: the agent fails over to the second.
            let dead = "http://127.0.0.1:9"
            let process = try ManagedProcess(
                label: "agent-pi", executable: try binary("fleet-agent"),
                arguments: ["run", "--coordinator", "\(dead),\(fleet.url)", "--join-token-file", fleet.dataDir + "/join.token",
                            "--state-dir", fleet.dir + "/agents/pi", "--name", "pi", "--status-listen", "127.0.0.1:0"],
                logDir: fleet.dir)
            #expect(try await waitUntil(timeout: .seconds(15)) { try await fleet.nodes()["pi"]?.state == .online },
                    "\(process.output)")
            let inventory = "sites: {s: {}}\ndefaults: {heartbeatSeconds: 1}\nnodes: {pi: {site: s}}\n"
            try inventory.write(toFile: fleet.dir + "/pi.yaml", atomically: true, encoding: .utf8)
            #expect(try await fleet.fleetctl(["apply", "-f", fleet.dir + "/pi.yaml"]).status == 0)
            #expect(try await waitUntil(timeout: .seconds(5)) { try await fleet.nodes()["pi"]?.appliedRevision == 1 })
            #expect(await process.stop() == 0)

            // Restarted with the same state dir: same identity, no second registration.
            let again = try ManagedProcess(
                label: "agent-pi-2", executable: try binary("fleet-agent"),
                arguments: ["run", "--coordinator", fleet.url, "--join-token-file", fleet.dataDir + "/join.token",
                            "--state-dir", fleet.dir + "/agents/pi", "--name", "pi", "--status-listen", "127.0.0.1:0"],
                logDir: fleet.dir)
            #expect(try await waitUntil(timeout: .seconds(10)) {
                (try await fleet.nodes()["pi"]?.lastHeartbeatAgeSeconds ?? 99) < 1 && again.stderr.contains("registered=true")
            }, "\(again.output)")
            #expect(!again.stderr.contains("registration refused"))

            // With the coordinator gone, a restarted agent still runs its persisted assignment.
            await fleet.coordinator?.stop(signal: SIGKILL)
            await again.stop()
            let offline = try ManagedProcess(
                label: "agent-pi-3", executable: try binary("fleet-agent"),
                arguments: ["run", "--coordinator", fleet.url, "--join-token-file", fleet.dataDir + "/join.token",
                            "--state-dir", fleet.dir + "/agents/pi", "--name", "pi", "--status-listen", "127.0.0.1:0"],
                logDir: fleet.dir)
            #expect(await waitUntil(timeout: .seconds(10)) { offline.stderr.contains("assignment applied") }, "\(offline.output)")
            #expect(offline.stderr.contains("assignmentRevision=1"))
            #expect(await waitUntil(timeout: .seconds(10)) { offline.stderr.contains("coordinator call failed") })
            await offline.stop()
        }
    }
}
