@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// A staged rollout through the real fleet actor: nodes report with `heartbeat`, the
/// served assignments follow the rollout's decisions, and the state survives a restart.
@Suite struct FleetRolloutTests {
    static let strategy = "{canary: 1, maxParallel: 2, minHealthyTime: 1s, healthyDeadline: 1m, progressDeadline: 5m}"

    static func inventory(dir: String, rollout: String? = strategy) -> String {
        var yaml = "sites: {s1: {}}\ndefaults:\n  recorder: {outputDir: \(dir)}\n"
        if let rollout { yaml += "  rollout: \(rollout)\n" }
        yaml += "nodes:\n" + (1...5).map { "  pi\($0): {site: s1}\n" }.joined()
        yaml += "stations:\n" + (1...5).map { "  S\($0): {node: pi\($0), camera: {host: 127.0.0.1}}\n" }.joined()
        return yaml
    }

    func makeFleet(_ path: String) async throws -> Fleet {
        let fleet = Fleet(store: try SQLiteFleetStore(path: path), logger: Logger(label: "test"), metrics: CoordinatorMetrics(),
                          defaultHeartbeatSeconds: 5)
        try await fleet.load()
        return fleet
    }

    func apply(_ fleet: Fleet, _ yaml: String) async throws -> Int {
        try await fleet.apply(files: [.init(path: "fleet.yaml", content: yaml)], dryRun: false).revision
    }

    /// One healthy report: the node's served revision applied, its recorder recording, segment growing.
    func report(_ fleet: Fleet, _ node: String, bytes: UInt64) async throws {
        let revision = try await fleet.assignment(node: node).revision
        let station = "S" + node.dropFirst(2)
        let report = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: revision, storage: [],
                                  stations: [StationStatus(station: station, state: .recording, restarts: 0,
                                                           currentSegment: "a.mkv", currentSegmentBytes: bytes)])
        _ = try await fleet.heartbeat(node: node, report: report)
    }

    /// Every node reports every 100 ms until `condition` holds, or fails after 15 s.
    func reportUntil(_ fleet: Fleet, _ condition: @escaping (RolloutStatusView?) -> Bool,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = Date().addingTimeInterval(15)
        var bytes: UInt64 = 1
        while Date() < deadline {
            if condition(await fleet.rolloutStatus()) { return }
            bytes += 1_000
            for index in 1...5 { try await report(fleet, "pi\(index)", bytes: bytes) }
            await fleet.tick()
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("condition not reached: \(await fleet.rolloutStatus()?.status ?? "no rollout")",
                     sourceLocation: sourceLocation)
    }

    func served(_ fleet: Fleet) async throws -> [Int] {
        var revisions: [Int] = []
        for index in 1...5 { revisions.append(try await fleet.assignment(node: "pi\(index)").revision) }
        return revisions
    }

    @Test func aChangeReachesTheCanaryOnlyThenBatchesInOrderAfterPromote() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fleet = try await makeFleet(dir + "/c.sqlite")
        #expect(try await apply(fleet, Self.inventory(dir: "/srv/a")) == 1)
        for index in 1...5 { _ = try await fleet.register(RegistrationRequest(name: "pi\(index)", agentVersion: "t")) }
        for index in 1...5 { try await report(fleet, "pi\(index)", bytes: 1) }

        #expect(try await apply(fleet, Self.inventory(dir: "/srv/b")) == 2)
        #expect(try await served(fleet) == [2, 1, 1, 1, 1])
        let status = try #require(await fleet.rolloutStatus())
        #expect(status.state == "running" && status.nodes.map(\.name) == ["pi1", "pi2", "pi3", "pi4", "pi5"])
        #expect(status.status == "canary: waiting for 1 node to be healthy for 1s")

        // pi2 watches with its old revision: nothing for it until the rollout releases it.
        let watch = Task { await fleet.watch(node: "pi2", knownRevision: 1, timeout: .seconds(30)) }
        try await reportUntil(fleet) { $0?.state == "waiting-promotion" }
        #expect(try await served(fleet) == [2, 1, 1, 1, 1])

        // A restarted coordinator resumes the same rollout and serves the same assignments.
        let restarted = try await makeFleet(dir + "/c.sqlite")
        #expect(await restarted.rolloutStatus()?.state == "waiting-promotion")
        #expect(try await served(restarted) == [2, 1, 1, 1, 1])

        _ = try await fleet.controlRollout(.promote)
        #expect(try await served(fleet) == [2, 2, 2, 1, 1])
        #expect(await watch.value.assignment?.revision == 2)
        try await reportUntil(fleet) { ($0?.currentBatch ?? 0) == 3 }
        #expect(try await served(fleet) == [2, 2, 2, 2, 2])
        try await reportUntil(fleet) { $0?.state == "succeeded" }
        #expect(await fleet.rolloutStatus()?.nodes.allSatisfy { $0.state == "healthy" } == true)
    }

    /// A node turning healthy changes nobody's served assignment: it is stored by the next
    /// tick (one save for every such change), not by the report itself.
    @Test func aNodeTurningHealthyIsStoredByTheNextTick() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fleet = try await makeFleet(dir + "/c.sqlite")
        let twoCanaries = Self.strategy.replacingOccurrences(of: "canary: 1", with: "canary: 2")
        _ = try await apply(fleet, Self.inventory(dir: "/srv/a", rollout: twoCanaries))
        for index in 1...5 { _ = try await fleet.register(RegistrationRequest(name: "pi\(index)", agentVersion: "t")) }
        for index in 1...5 { try await report(fleet, "pi\(index)", bytes: 1) }
        _ = try await apply(fleet, Self.inventory(dir: "/srv/b", rollout: twoCanaries))
        let deadline = Date().addingTimeInterval(15)
        var bytes: UInt64 = 1
        while await fleet.rolloutStatus()?.nodes.first?.state != "healthy", Date() < deadline {
            bytes += 1_000
            try await report(fleet, "pi1", bytes: bytes)   // pi2, the other canary, stays updating
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await fleet.rolloutStatus()?.nodes.prefix(2).map(\.state) == ["healthy", "updating"])
        #expect(try await makeFleet(dir + "/c.sqlite").rolloutStatus()?.nodes.first?.state == "updating")
        await fleet.tick()
        #expect(try await makeFleet(dir + "/c.sqlite").rolloutStatus()?.nodes.first?.state == "healthy")
    }

    @Test func withoutARolloutBlockEveryNodeChangesAtOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fleet = try await makeFleet(dir + "/c.sqlite")
        _ = try await apply(fleet, Self.inventory(dir: "/srv/a", rollout: nil))
        _ = try await apply(fleet, Self.inventory(dir: "/srv/b", rollout: nil))
        #expect(try await served(fleet) == [2, 2, 2, 2, 2])
        #expect(await fleet.rolloutStatus() == nil)
    }

    @Test func aFailedCanaryPausesAndRaisesRolloutFailed() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fleet = try await makeFleet(dir + "/c.sqlite")
        let revert = Self.strategy.replacingOccurrences(of: "}", with: ", autoRevert: true}")
        _ = try await apply(fleet, Self.inventory(dir: "/srv/a", rollout: revert))
        for index in 1...5 { _ = try await fleet.register(RegistrationRequest(name: "pi\(index)", agentVersion: "t")) }
        for index in 1...5 { try await report(fleet, "pi\(index)", bytes: 1) }
        let feed = fleet.changes.subscribe()
        _ = try await apply(fleet, Self.inventory(dir: "/srv/b", rollout: revert))
        let bad = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 2, storage: [],
                               stations: [StationStatus(station: "S1", state: .backingOff, lastError: "404 Not Found")])
        _ = try await fleet.heartbeat(node: "pi1", report: bad)
        let status = try #require(await fleet.rolloutStatus())
        #expect(status.state == "reverting")
        #expect(status.nodes[0].state == "reverted" && status.nodes[0].reason == "recorder-failed")
        #expect(try await served(fleet) == [1, 1, 1, 1, 1])
        fleet.changes.finish()
        var failure: String?
        for await change in feed { if case .rollout(_, let text?) = change { failure = text } }
        #expect(failure?.contains("canary pi1 failed: recorder S1 backing-off: 404 Not Found") == true)
        var facts = FleetFacts()
        facts.apply(.rollout(revision: 2, failure: failure))
        let alerts = AlertRules(thresholds: .init()).evaluate(facts, now: Date()).alerts
        #expect(alerts.map(\.name) == ["RolloutFailed"])
    }

    @Test func aNewApplySupersedesTheRunningRolloutFromTheServedState() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fleet = try await makeFleet(dir + "/c.sqlite")
        _ = try await apply(fleet, Self.inventory(dir: "/srv/a"))
        for index in 1...5 { _ = try await fleet.register(RegistrationRequest(name: "pi\(index)", agentVersion: "t")) }
        for index in 1...5 { try await report(fleet, "pi\(index)", bytes: 1) }
        _ = try await apply(fleet, Self.inventory(dir: "/srv/b"))
        #expect(try await served(fleet) == [2, 1, 1, 1, 1])

        _ = try await apply(fleet, Self.inventory(dir: "/srv/c"))
        let status = try #require(await fleet.rolloutStatus())
        #expect(status.revision == 3 && status.state == "running")
        #expect(status.nodes.map(\.name) == ["pi1", "pi2", "pi3", "pi4", "pi5"])
        #expect(try await served(fleet) == [3, 1, 1, 1, 1])
        let assignment = try await fleet.assignment(node: "pi2")
        #expect(assignment.recorders.first?.outputDir == "/srv/a")

        // A revision without a rollout: block reaches every node at once; the last rollout stays listed, inert.
        _ = try await apply(fleet, Self.inventory(dir: "/srv/d", rollout: nil))
        #expect(try await served(fleet) == [4, 4, 4, 4, 4])
        #expect(await fleet.rolloutStatus()?.state == "aborted")
        await #expect(throws: FleetError.self) { _ = try await fleet.controlRollout(.promote) }
        try await report(fleet, "pi1", bytes: 5)
        #expect(try await served(fleet) == [4, 4, 4, 4, 4])
    }
}
