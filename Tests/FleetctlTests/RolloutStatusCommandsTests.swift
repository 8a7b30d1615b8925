// `fleetctl rollout status|pause|resume|promote|abort` against the real coordinator
// (in-process on 127.0.0.1, see TestCoordinator). No agent reports here, so every node is
// offline when its turn comes: the rollout marks it waiting-offline and goes on (but with
// every node offline it does not succeed: it keeps running until one is back).
import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

@Suite(.serialized) struct RolloutStatusCommandsTests {
    static let staged = TestInventory.fleet.replacingOccurrences(
        of: "defaults:\n",
        with: "defaults:\n  rollout: {canary: 1, maxParallel: 1, minHealthyTime: 1m, healthyDeadline: 5m, progressDeadline: 1h}\n")
    static let changed = staged.replacingOccurrences(of: "segmentSeconds: 600", with: "segmentSeconds: 300")
        .replacingOccurrences(of: "every: 1h", with: "every: 2h")

    private func apply(_ content: String, _ coordinator: TestCoordinator) async throws -> Invocation {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("fleet.yaml").path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return await fleetctl(["apply", "-f", path, "--coordinator", coordinator.url], environment: coordinator.adminEnvironment)
    }

    @Test func statusPromoteAndRefusedActions() async throws {
        let coordinator = try await TestCoordinator.start()
        let env = coordinator.adminEnvironment
        let url = ["--coordinator", coordinator.url]
        do {
            let none = await fleetctl(["rollout", "status"] + url, environment: env)
            #expect(none.code == 0 && none.stdout.hasPrefix("no rollout"))
            #expect(try await apply(Self.staged, coordinator).code == 0)
            #expect(try await apply(Self.changed, coordinator).code == 0)

            let status = await fleetctl(["rollout", "status"] + url, environment: env)
            #expect(status.code == 0, "\(status.stderr)")
            let lines = status.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("revision 2 waiting-promotion: waiting for promotion") == true)
            let rows = lines.dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(rows.map { $0[0] } == ["recordingpi", "emsn-berging", "emsn-zolder"])
            #expect(rows.map { $0[2] } == ["canary", "canary", "1"])
            #expect(rows.map { $0[3] } == ["waiting-offline", "waiting-offline", "pending"])

            let json = await fleetctl(["rollout", "status", "-o", "json"] + url, environment: env)
            let object = try #require(try jsonObject(json.stdout) as? [String: Any])
            let rollout = try #require(object["rollout"] as? [String: Any])
            #expect(rollout["state"] as? String == "waiting-promotion")

            let pause = await fleetctl(["rollout", "pause"] + url, environment: env)
            #expect(pause.code == 0 && pause.stdout.hasPrefix("revision 2 paused: paused: paused by an operator"))
            #expect(await fleetctl(["rollout", "resume"] + url, environment: env).code == 0)
            let promote = await fleetctl(["rollout", "promote"] + url, environment: env)
            #expect(promote.code == 0, "\(promote.stderr)")
            // Every node offline: nothing showed the revision works, so it does not succeed.
            #expect(promote.stdout.hasPrefix("revision 2 running: batch 1/1: every node is offline; 3 nodes waiting offline get revision 2 when back online"),
                    "\(promote.stdout)")

            #expect(await fleetctl(["rollout", "abort"] + url, environment: env).code == 0)
            let refused = await fleetctl(["rollout", "abort"] + url, environment: env)
            #expect(refused.code != 0 && refused.stderr.contains("cannot abort a rollout that is aborted"))
            let watched = await fleetctl(["rollout", "status", "--watch"] + url, environment: env)
            #expect(watched.code == 0 && watched.stdout.hasPrefix("revision 2 aborted"))
            // The nodes' progress below the status (a pipe: one plain line; no node got healthy).
            #expect(watched.stdout.hasSuffix("revision 2: 0% (0 of 3 nodes)\n"), "\(watched.stdout)")
            let once = await fleetctl(["rollout", "status"] + url, environment: env)
            #expect(!once.stdout.contains("nodes)"))  // without --watch: no bar
        } catch {
            await coordinator.stop()
            throw error
        }
        await coordinator.stop()
    }
}
