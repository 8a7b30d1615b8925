import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

/// `fleetctl alerts routes test|show`, from local files (`-f`) and from a real coordinator.
@Suite(.serialized) struct AlertsRoutesCommandTests {
    static let inventory = """
    alerts:
      receivers:
        root: {webhook: {url: "http://127.0.0.1:9/root"}}
        a: {webhook: {url: "http://127.0.0.1:9/a"}}
        ab: {webhook: {url: "http://127.0.0.1:9/ab", secretFile: /etc/stationfleet/no-such-secret}}
      route:
        receiver: root
        groupBy: [site]
        routes:
        - matchers: [team=a]
          receiver: a
          groupWait: 10s
          continue: true
          muteTimeIntervals: [night]
        - matchers: ['team=~"a|b"']
          receiver: ab
          groupBy: ['...']
          repeatInterval: 1h
          activeTimeIntervals: [office, night]
      timeIntervals:
        night:
        - times: [{start: "22:00", end: "24:00"}, {start: "00:00", end: "07:00"}]
        office:
        - {weekdays: ['monday:friday'], times: [{start: "09:00", end: "17:00"}], location: Europe/Amsterdam}

    """

    static let tree = """
    {} receiver=root groupBy=site groupWait=30s groupInterval=5m repeatInterval=4h
      {team="a"} receiver=a groupBy=site groupWait=10s groupInterval=5m repeatInterval=4h mute=night continue
      {team=~"a|b"} receiver=ab groupBy=... groupWait=30s groupInterval=5m repeatInterval=1h active=office,night

    """

    /// Nothing listens here: `-f` must not need a coordinator.
    static let nowhere = ["--coordinator", "http://127.0.0.1:1"]

    private func withInventory<R>(_ content: String, _ body: (String) async throws -> R) async throws -> R {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try content.write(to: dir.appendingPathComponent("alerts.yaml"), atomically: true, encoding: .utf8)
        return try await body(dir.path)
    }

    @Test func testFromLocalFilesPrintsReceiversInOrder() async throws {
        try await withInventory(Self.inventory) { path in
            let both = await fleetctl(["alerts", "routes", "test", "-f", path, "team=a", "site=auklab"] + Self.nowhere)
            #expect(both.code == 0, "\(both.stderr)")
            #expect(both.stdout == "a\nab\n")
            let none = await fleetctl(["alerts", "routes", "test", "-f", path] + Self.nowhere)
            #expect(none.stdout == "root\n")
            let quoted = await fleetctl(["alerts", "routes", "test", "-f", path, "team=\"b\""] + Self.nowhere)
            #expect(quoted.stdout == "ab\n")
        }
    }

    @Test func jsonListsEachMatchedRoute() async throws {
        try await withInventory(Self.inventory) { path in
            let run = await fleetctl(["alerts", "routes", "test", "-f", path, "team=a", "-o", "json"] + Self.nowhere)
            #expect(run.code == 0, "\(run.stderr)")
            let list = try #require(try jsonObject(run.stdout) as? [[String: Any]])
            #expect(list.map { $0["receiver"] as? String } == ["a", "ab"])
            #expect(list.first?["groupWaitSeconds"] as? Int == 10)
            #expect(list.first?["groupBy"] as? [String] == ["site"])
            #expect(list.last?["groupBy"] as? [String] == ["..."])
            #expect(list.last?["repeatIntervalSeconds"] as? Int == 3600)
            #expect(list.last?["groupIntervalSeconds"] as? Int == 300)
            #expect(list.last?["key"] as? String == #"{}/{team=~"a|b"}/1"#)
        }
    }

    @Test func verifyReceiversSetsTheExitCode() async throws {
        try await withInventory(Self.inventory) { path in
            let same = await fleetctl(["alerts", "routes", "test", "-f", path, "team=a", "--verify-receivers", "a,ab"] + Self.nowhere)
            #expect(same.code == 0)
            #expect(same.stderr.isEmpty)
            let differ = await fleetctl(["alerts", "routes", "test", "-f", path, "team=b", "--verify-receivers", "a,ab"] + Self.nowhere)
            #expect(differ.code == 1)
            #expect(differ.stdout == "ab\n")
            #expect(differ.stderr.contains("expected receivers: a,ab\n"))
            #expect(differ.stderr.contains("got receivers:      ab\n"))
        }
    }

    @Test func badLabelsAreUsageErrors() async throws {
        try await withInventory(Self.inventory) { path in
            for bad in ["site", "1x=y", "si-te=y"] {
                let run = await fleetctl(["alerts", "routes", "test", "-f", path, bad] + Self.nowhere)
                #expect(run.code == 2, "\(bad): \(run.stderr)")
                #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
                #expect(run.stdout.isEmpty)
            }
            let twice = await fleetctl(["alerts", "routes", "test", "-f", path, "a=1", "a=2"] + Self.nowhere)
            #expect(twice.code == 2)
        }
    }

    @Test func invalidLocalInventoryIsReportedWithPositions() async throws {
        try await withInventory("alerts:\n  receivers: {r: {webhook: {url: \"http://h\"}}}\n  route: {receiver: r, matchers: [a=b]}\n") { path in
            let run = await fleetctl(["alerts", "routes", "test", "-f", path, "a=b"] + Self.nowhere)
            #expect(run.code == 1)
            #expect(run.stderr.contains("alerts.yaml:3:24: the root route cannot have 'matchers'"), "\(run.stderr)")
        }
    }

    @Test func showFromLocalFiles() async throws {
        try await withInventory(Self.inventory) { path in
            let run = await fleetctl(["alerts", "routes", "show", "-f", path] + Self.nowhere)
            #expect(run.code == 0, "\(run.stderr)")
            #expect(run.stdout == Self.tree)
            let json = await fleetctl(["alerts", "routes", "show", "-f", path, "-o", "json"] + Self.nowhere)
            let object = try #require(try jsonObject(json.stdout) as? [String: Any])
            let root = try #require(object["root"] as? [String: Any])
            #expect((root["routes"] as? [[String: Any]])?.first?["continue"] as? Bool == true)
            #expect((root["routes"] as? [[String: Any]])?.first?["muteTimeIntervals"] as? [String] == ["night"])
            #expect((root["routes"] as? [[String: Any]])?.last?["activeTimeIntervals"] as? [String] == ["office", "night"])
            #expect(root["muteTimeIntervals"] == nil)
        }
    }

    @Test func coordinatorModeUsesTheAppliedInventory() async throws {
        let coordinator = try await TestCoordinator.start()
        do {
            let env = coordinator.adminEnvironment
            let url = ["--coordinator", coordinator.url]
            let before = await fleetctl(["alerts", "routes", "test", "team=a"] + url, environment: env)
            #expect(before.code == 1)
            #expect(before.stderr.contains("no alert route is applied"), "\(before.stderr)")
            // The coordinator checks credential files at apply: this secretFile does not exist there.
            try await withInventory(Self.inventory) { path in
                let refused = await fleetctl(["apply", "-f", path] + url, environment: env)
                #expect(refused.code == 1)
                #expect(refused.stderr.contains("alerts.yaml:5:62: 'secretFile' file '/etc/stationfleet/no-such-secret' does not exist"),
                        "\(refused.stderr)")
            }
            let applicable = Self.inventory.replacingOccurrences(of: ", secretFile: /etc/stationfleet/no-such-secret", with: "")
            try await withInventory(applicable) { path in
                let applied = await fleetctl(["apply", "-f", path] + url, environment: env)
                #expect(applied.code == 0, "\(applied.stderr)")
            }
            let run = await fleetctl(["alerts", "routes", "test", "team=a"] + url, environment: env)
            #expect(run.code == 0, "\(run.stderr)")
            #expect(run.stdout == "a\nab\n")
            let json = await fleetctl(["alerts", "routes", "test", "team=b", "-o", "json"] + url, environment: env)
            let list = try #require(try jsonObject(json.stdout) as? [[String: Any]])
            #expect(list.map { $0["receiver"] as? String } == ["ab"])
            let verify = await fleetctl(["alerts", "routes", "test", "team=b", "--verify-receivers", "root"] + url, environment: env)
            #expect(verify.code == 1)
            let show = await fleetctl(["alerts", "routes", "show"] + url, environment: env)
            #expect(show.code == 0, "\(show.stderr)")
            #expect(show.stdout == Self.tree)
            let tree = try await coordinator.withClient(token: coordinator.adminToken) { client in
                try await client.call(Endpoints.alertRoutes)
            }
            #expect(tree.revision == 1)
            #expect(tree.root?.routes.count == 2)
        } catch {
            await coordinator.stop()
            throw error
        }
        await coordinator.stop()
    }
}
