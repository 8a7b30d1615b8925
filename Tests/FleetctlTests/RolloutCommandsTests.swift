// `fleetctl rollout history|undo` and `diff --from/--to` against the real coordinator
// (in-process on 127.0.0.1, see TestCoordinator).
import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

@Suite(.serialized) struct RolloutCommandsTests {
    static let operatorEnvironment = ["USER": "anna", "HOSTNAME": "fieldlaptop"]

    private func withCoordinator<R>(_ body: (TestCoordinator, [String: String]) async throws -> R) async throws -> R {
        let coordinator = try await TestCoordinator.start()
        let environment = coordinator.adminEnvironment.merging(Self.operatorEnvironment) { $1 }
        do {
            let result = try await body(coordinator, environment)
            await coordinator.stop()
            return result
        } catch {
            await coordinator.stop()
            throw error
        }
    }

    /// Applies `content` through `fleetctl apply` (so `by` is sent) from a temporary file.
    private func apply(_ content: String, _ coordinator: TestCoordinator, _ environment: [String: String],
                       extra: [String] = []) async throws -> Invocation {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("fleet.yaml").path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return await fleetctl(["apply", "-f", path, "--coordinator", coordinator.url] + extra, environment: environment)
    }

    static let moved = TestInventory.fleet.replacingOccurrences(of: "ROST2: {node: recordingpi, camera: {host: 127.0.0.1}}",
                                                                with: "ROST2: {node: recordingpi, camera: {host: 127.0.0.2}}")
    static let sitesOnly = "sites:\n  auklab: {labels: {region: gotland}}\n  emsn: {labels: {region: nl}}\n"

    @Test func historyListsRevisionsNewestFirstAsTableAndJSON() async throws {
        try await withCoordinator { coordinator, env in
            let none = await fleetctl(["rollout", "history", "--coordinator", coordinator.url], environment: env)
            #expect(none.code == 0 && none.stdout == "no revisions yet: nothing has been applied\n")
            #expect(try await apply(TestInventory.fleet, coordinator, env).code == 0)
            #expect(try await apply(Self.moved, coordinator, env).code == 0)
            #expect(try await apply(Self.moved, coordinator, env).stdout.hasSuffix("no changes (revision 2)\n"))

            let table = await fleetctl(["rollout", "history", "--coordinator", coordinator.url], environment: env)
            #expect(table.code == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
            #expect(lines.count == 3)
            #expect(lines.first == ["REV", "APPLIED", "AUTHOR", "HASH", "CHANGES", "NOTE"])
            #expect(lines[1].first == "2" && lines[2].first == "1")
            #expect(lines[1][2...3] == ["anna@fieldlaptop", "(admin)"])
            #expect(lines[1][4].count == 12)
            #expect(lines[1][5...7] == ["+0", "~1", "-0"])
            #expect(lines[2][5] == "+\(TestInventory.objectCount)")

            let json = await fleetctl(["rollout", "history", "-o", "json", "--coordinator", coordinator.url], environment: env)
            #expect(json.code == 0)
            let list = try #require(try jsonObject(json.stdout) as? [[String: Any]])
            #expect(list.map { $0["revision"] as? Int } == [2, 1])
            #expect(list[0]["author"] as? String == "admin" && list[0]["by"] as? String == "anna@fieldlaptop")
            #expect((list[0]["hash"] as? String)?.count == 64)
            #expect(list[0]["changed"] as? [String] == ["station/ROST2"])
            #expect(list[0]["files"] == nil)
        }
    }

    @Test func diffFromToShowsTheFieldChangesBetweenStoredRevisions() async throws {
        try await withCoordinator { coordinator, env in
            #expect(try await apply(TestInventory.fleet, coordinator, env).code == 0)
            #expect(try await apply(Self.moved, coordinator, env).code == 0)
            let base = ["--coordinator", coordinator.url]
            let diff = await fleetctl(["diff", "--from", "1", "--to", "2"] + base, environment: env)
            #expect(diff.code == 1, "\(diff.stderr)")
            let changed = diff.stdout.split(separator: "\n").filter { $0.hasPrefix("~ ") }
            #expect(changed.count == 1)
            #expect(changed.first?.hasPrefix("~ station/ROST2: ") == true)
            #expect(changed.first?.hasSuffix(" 127.0.0.1 → 127.0.0.2") == true)
            #expect(diff.stdout.hasSuffix("0 created, 1 changed, 0 deleted, \(TestInventory.objectCount - 1) unchanged (revision 1 → 2)\n"))

            let back = await fleetctl(["diff", "--from", "2", "--to", "1"] + base, environment: env)
            #expect(back.stdout.contains(" 127.0.0.2 → 127.0.0.1\n"))
            let toCurrent = await fleetctl(["diff", "--from", "2"] + base, environment: env)
            #expect(toCurrent.code == 0 && toCurrent.stdout == "no changes (revision 2 → 2)\n")

            let json = await fleetctl(["diff", "--from", "1", "-o", "json"] + base, environment: env)
            let object = try #require(try jsonObject(json.stdout) as? [String: Any])
            #expect(object["from"] as? Int == 1 && object["to"] as? Int == 2)
            #expect(object["changed"] as? [String] == ["station/ROST2"])

            let unknown = await fleetctl(["diff", "--from", "1", "--to", "9"] + base, environment: env)
            #expect(unknown.code == 1)
            #expect(unknown.stdout.isEmpty)
            #expect(unknown.stderr == "fleetctl: not found: revision 9 not found\n")
            let usage = await fleetctl(["diff", "--to", "1"] + base, environment: env)
            #expect(usage.code == 2)
        }
    }

    @Test func undoReappliesAnEarlierRevisionAsANewOne() async throws {
        try await withCoordinator { coordinator, env in
            #expect(try await apply(TestInventory.fleet, coordinator, env).code == 0)
            #expect(try await apply(Self.moved, coordinator, env).code == 0)
            let base = ["--coordinator", coordinator.url]
            let undo = await fleetctl(["rollout", "undo"] + base, environment: env)
            #expect(undo.code == 0, "\(undo.stderr)")
            #expect(undo.stdout.hasPrefix("station/ROST2 changed\n"))
            #expect(undo.stdout.hasSuffix("revision 3\nre-applied the inventory of revision 1\n"))

            let history = try await coordinator.withClient(token: coordinator.adminToken) { client in
                try await client.call(Endpoints.revisions)
            }
            #expect(history.map(\.revision) == [3, 2, 1])
            #expect(history[0].undoOf == 1 && history[0].by == "anna@fieldlaptop" && history[0].author == "admin")
            #expect(history[0].hash == history[2].hash && history[0].hash != history[1].hash)
            let one = try await coordinator.withClient(token: coordinator.adminToken) { client in
                try await client.call(Endpoints.revision, "3")
            }
            #expect(one.files?.first?.content == TestInventory.fleet)

            let listed = await fleetctl(["rollout", "history"] + base, environment: env)
            #expect(listed.stdout.split(separator: "\n")[1].hasSuffix("undo of 1"))

            let same = await fleetctl(["rollout", "undo", "--to", "3"] + base, environment: env)
            #expect(same.code == 0)
            #expect(same.stdout == "nothing to change: revision 3 already has the content of revision 3\n")

            let unknown = await fleetctl(["rollout", "undo", "--to", "42"] + base, environment: env)
            #expect(unknown.code == 1)
            #expect(unknown.stdout.isEmpty)
            #expect(unknown.stderr == "fleetctl: not found: revision 42 not found\n")
        }
    }

    @Test func undoThatWouldWipeTheFleetNeedsPrune() async throws {
        try await withCoordinator { coordinator, env in
            #expect(try await apply(Self.sitesOnly, coordinator, env).code == 0)
            #expect(try await apply(TestInventory.fleet, coordinator, env).code == 0)
            let base = ["--coordinator", coordinator.url]
            let refused = await fleetctl(["rollout", "undo"] + base, environment: env)
            #expect(refused.code == 1)
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains("- station/ROST1 would be deleted\n"))
            #expect(refused.stderr.hasSuffix("nothing applied. Check the list above, then run again with --prune to delete them\n"))
            let after = try await coordinator.withClient(token: coordinator.adminToken) { client in
                try await client.call(Endpoints.revisions)
            }
            #expect(after.map(\.revision) == [2, 1])

            let pruned = await fleetctl(["rollout", "undo", "--prune"] + base, environment: env)
            #expect(pruned.code == 0, "\(pruned.stderr)")
            #expect(pruned.stdout.contains("station/ROST1 deleted\n"))
            #expect(pruned.stdout.hasSuffix("revision 3\nre-applied the inventory of revision 1\n"))
        }
    }
}

extension TestInventory {
    /// `fleet`'s objects: 2 sites, 3 nodes, 2 stations, 1 backup and the defaults.
    static let objectCount = 9
}
