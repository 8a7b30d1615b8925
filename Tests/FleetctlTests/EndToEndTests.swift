// End-to-end: the real fleetctl entry point against the real coordinator (in-process on
// 127.0.0.1, see TestCoordinator). Only failures a real coordinator does not produce on
// demand (a 500, a hung server) use the purpose-built stub in MisbehavingServer.swift.
import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

@Suite(.serialized) struct EndToEndTests {
    private func withCoordinator<R>(_ body: (TestCoordinator) async throws -> R) async throws -> R {
        let coordinator = try await TestCoordinator.start()
        do {
            let result = try await body(coordinator)
            await coordinator.stop()
            return result
        } catch {
            await coordinator.stop()
            throw error
        }
    }

    private func withInventory<R>(_ files: [String: String], _ body: (String) async throws -> R) async throws -> R {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, content) in files {
            try content.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return try await body(dir.path)
    }

    @Test func applyPrintsCreatedChangedAndUnchanged() async throws {
        try await withCoordinator { coordinator in
            try await withInventory(["fleet.yaml": TestInventory.fleet]) { path in
                let env = coordinator.adminEnvironment
                let first = await fleetctl(["apply", "-f", path, "--coordinator", coordinator.url], environment: env)
                #expect(first.code == 0, "\(first.stderr)")
                #expect(first.stdout.contains("station/ROST1 created\n"))
                #expect(first.stdout.hasSuffix("revision 1\n"))
                #expect(first.stderr.isEmpty)

                let again = await fleetctl(["apply", "-f", path, "--coordinator", coordinator.url, "-o", "json"], environment: env)
                #expect(again.code == 0, "\(again.stderr)")
                let object = try #require(try jsonObject(again.stdout) as? [String: Any])
                #expect(object["revision"] as? Int == 1)
                #expect(object["created"] as? [String] == [])
                #expect((object["unchanged"] as? [String])?.contains("station/ROST1") == true)
            }
        }
    }

    @Test func invalidInventoryPrintsEveryDetailAndExits1() async throws {
        try await withCoordinator { coordinator in
            let broken = "stations:\n  ROST1: {node: recordingpy, camera: {host: 127.0.0.1}}\n  ROST2: {camera: {}}\n"
            try await withInventory(["bad.yaml": broken]) { path in
                let run = await fleetctl(["apply", "-f", path, "--coordinator", coordinator.url],
                                         environment: coordinator.adminEnvironment)
                #expect(run.code == 1)
                #expect(run.stdout.isEmpty)
                let lines = run.stderr.split(separator: "\n").map(String.init)
                #expect(lines.count >= 2)
                #expect(lines.dropLast().allSatisfy { $0.contains("bad.yaml:") }, "\(lines)")
                #expect(lines.last?.hasPrefix("fleetctl: invalid inventory") == true)
            }
        }
    }

    @Test func stoppedCoordinatorIsUnreachableWithExit3() async throws {
        let coordinator = try await TestCoordinator.start()
        let url = coordinator.url
        await coordinator.stop()
        let run = await fleetctl(["get", "nodes", "--coordinator", url])
        #expect(run.code == 3)
        #expect(run.stderr == "fleetctl: coordinator \(url) unreachable: connection refused\n")
    }

    @Test func notFoundUnauthorizedAndForbiddenExit1() async throws {
        try await withCoordinator { coordinator in
            let missing = await fleetctl(["describe", "station", "ROST9", "--coordinator", coordinator.url],
                                         environment: coordinator.adminEnvironment)
            #expect(missing.code == 1)
            #expect(missing.stderr.hasPrefix("fleetctl: not found: station ROST9"))
            let anonymous = await fleetctl(["get", "nodes", "--coordinator", coordinator.url], environment: [:])
            #expect(anonymous.code == 1)
            #expect(anonymous.stderr.hasPrefix("fleetctl: unauthorized: missing or invalid bearer token"))
            let join = await fleetctl(["get", "nodes", "--coordinator", coordinator.url],
                                      environment: ["FLEET_TOKEN": coordinator.joinToken])
            #expect(join.code == 1)
            #expect(join.stderr.contains("this endpoint needs the admin token"))
        }
    }

    @Test func getNodesJSONAndSingleItemAsArray() async throws {
        try await withCoordinator { coordinator in
            try await coordinator.apply(TestInventory.fleet)
            _ = try await coordinator.registerNode("recordingpi")
            let env = coordinator.adminEnvironment
            let list = await fleetctl(["get", "nodes", "-o", "json", "--coordinator", coordinator.url], environment: env)
            #expect(list.code == 0, "\(list.stderr)")
            let array = try #require(try jsonObject(list.stdout) as? [[String: Any]])
            #expect(Set(array.compactMap { $0["name"] as? String }) == ["recordingpi", "emsn-zolder", "emsn-berging"])
            let one = await fleetctl(["get", "nodes", "recordingpi", "-o", "json", "--coordinator", coordinator.url],
                                     environment: env)
            let single = try #require(try jsonObject(one.stdout) as? [[String: Any]])
            #expect(single.count == 1)
            #expect(single.first?["state"] as? String == "online")
            let table = await fleetctl(["get", "nodes", "recordingpi", "--coordinator", coordinator.url], environment: env)
            #expect(table.stdout.split(separator: "\n").count == 2)
        }
    }

    @Test func diffExitsByChanges() async throws {
        try await withCoordinator { coordinator in
            try await withInventory(["fleet.yaml": TestInventory.fleet]) { path in
                let env = coordinator.adminEnvironment
                let withChanges = await fleetctl(["diff", "-f", path, "--coordinator", coordinator.url], environment: env)
                #expect(withChanges.code == 1, "\(withChanges.stderr)")
                #expect(withChanges.stdout.contains("+ station/ROST1\n"))
                // A diff is a dry run: nothing was applied.
                let still = await fleetctl(["diff", "-f", path, "--coordinator", coordinator.url], environment: env)
                #expect(still.code == 1)
                try await coordinator.apply(TestInventory.fleet)
                let none = await fleetctl(["diff", "-f", path, "--coordinator", coordinator.url], environment: env)
                #expect(none.code == 0, "\(none.stderr)")
                #expect(none.stdout == "no changes (revision 1)\n")
            }
        }
    }

    @Test func restartWaitFollowsTheCommandToItsEnd() async throws {
        try await withCoordinator { coordinator in
            try await coordinator.apply(TestInventory.fleet)
            let token = try await coordinator.registerNode("recordingpi")
            let agent = Task {
                try await coordinator.answerCommands(node: "recordingpi", token: token) { command in
                    command.target == "ROST1" ? (true, "recorder restarted, new segment growing") : (false, "camera unreachable")
                }
            }
            let run = await fleetctl(["restart", "recorder", "ROST1", "--wait", "--wait-timeout", "20",
                                      "--coordinator", coordinator.url], environment: coordinator.adminEnvironment)
            let answered = try await agent.value
            #expect(run.code == 0, "\(run.stderr)")
            let id = try #require(answered.first?.id)
            #expect(run.stdout == "restart of ROST1 queued (command \(id))\nrestart of ROST1 succeeded: recorder restarted, new segment growing\n")

            let failingAgent = Task {
                try await coordinator.answerCommands(node: "recordingpi", token: token) { _ in (false, "camera unreachable") }
            }
            let failed = await fleetctl(["restart", "recorder", "ROST2", "--wait", "--coordinator", coordinator.url],
                                        environment: coordinator.adminEnvironment)
            _ = try await failingAgent.value
            #expect(failed.code == 1)
            #expect(failed.stderr == "fleetctl: restart of ROST2 failed: camera unreachable\n")
        }
    }

    @Test func restartWaitTimesOutWhenNoAgentAnswers() async throws {
        try await withCoordinator { coordinator in
            try await coordinator.apply(TestInventory.fleet)
            _ = try await coordinator.registerNode("recordingpi")
            let clock = ContinuousClock()
            let start = clock.now
            let slow = await fleetctl(["restart", "recorder", "ROST2", "--wait", "--wait-timeout", "1",
                                       "--coordinator", coordinator.url], environment: coordinator.adminEnvironment)
            #expect(slow.code == 1)
            #expect(slow.stderr.hasPrefix("fleetctl: timed out after 1s waiting for restart of ROST2 on recordingpi (command "))
            #expect(slow.stderr.hasSuffix(" is pending)\n"))
            #expect(clock.now - start < .seconds(5))
        }
    }

    @Test func runJobWaitsForEveryNode() async throws {
        try await withCoordinator { coordinator in
            try await coordinator.apply(TestInventory.fleet)
            let zolder = try await coordinator.registerNode("emsn-zolder")
            let berging = try await coordinator.registerNode("emsn-berging")
            let agents = Task {
                async let z = coordinator.answerCommands(node: "emsn-zolder", token: zolder) { _ in (true, "1 file, 12 MB") }
                async let b = coordinator.answerCommands(node: "emsn-berging", token: berging) { _ in (false, "no space left on /tmp") }
                return try await (z, b)
            }
            let run = await fleetctl(["run", "backup", "birdnet-db", "--wait", "--coordinator", coordinator.url],
                                     environment: coordinator.adminEnvironment)
            let (z, _) = try await agents.value
            #expect(run.code == 1, "\(run.stderr)")
            #expect(run.stdout.contains("backup birdnet-db queued on emsn-zolder (command \(z.first?.id ?? "?"))"))
            #expect(run.stdout.contains("backup birdnet-db on emsn-zolder succeeded: 1 file, 12 MB"))
            #expect(run.stderr == "fleetctl: backup birdnet-db on emsn-berging failed: no space left on /tmp\n")

            let one = await fleetctl(["run", "backup", "birdnet-db", "--node", "emsn-zolder", "-o", "json",
                                      "--coordinator", coordinator.url], environment: coordinator.adminEnvironment)
            #expect(one.code == 0, "\(one.stderr)")
            #expect(one.stdout.contains("emsn-zolder") && !one.stdout.contains("emsn-berging"))
        }
    }

    @Test func recordingsSendsTheSpan() async throws {
        try await withCoordinator { coordinator in
            try await coordinator.apply(TestInventory.fleet)
            let from = Date(timeIntervalSince1970: 1_747_971_000)
            let run = await fleetctl(["recordings", "ROST1", "--from", "2025-05-23T03:30:00Z", "--to", "+1h",
                                      "--coordinator", coordinator.url], environment: coordinator.adminEnvironment, now: from)
            #expect(run.code == 0, "\(run.stderr)")
            // The coordinator echoes the span it parsed from the query.
            #expect(run.stdout.contains("2025-05-23T03:30:00Z → 2025-05-23T04:30:00Z (1h)"))
            let backwards = await fleetctl(["recordings", "ROST1", "--from", "-1h", "--to", "-2h", "--coordinator", coordinator.url],
                                           environment: coordinator.adminEnvironment)
            #expect(backwards.code == 1)
        }
    }

    @Test func nodeResetRevokesTheCredential() async throws {
        try await withCoordinator { coordinator in
            try await coordinator.apply(TestInventory.fleet)
            let token = try await coordinator.registerNode("recordingpi")
            let run = await fleetctl(["node", "reset", "recordingpi", "--coordinator", coordinator.url],
                                     environment: coordinator.adminEnvironment)
            #expect(run.code == 0, "\(run.stderr)")
            #expect(run.stdout == "node recordingpi reset: it may register again\n")
            await #expect(throws: FleetctlError.self) { try await coordinator.heartbeat("recordingpi", token: token) }
        }
    }
}
