@testable import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Logging
import Testing

/// Rollout health of an agent upgrade: the wanted version must run; a rolled-back upgrade fails the node at once.
@Suite struct RolloutAgentHealthTests {
    let t0 = Date(timeIntervalSince1970: 2_000_000)
    static let strategy = "{canary: 1, maxParallel: 1, minHealthyTime: 30s, healthyDeadline: 2m, progressDeadline: 10m}"
    static let build = AgentBuild(version: "0.2.0", arch: "arm64", sha256: String(repeating: "a", count: 64), size: 10)

    /// Site b (pi4, pi5) moves to agent 0.2.0; nothing else changes.
    func start() throws -> Rollout {
        func compiled(_ siteB: String) throws -> DesiredState {
            try Inventory.load(files: [.init(path: "f.yaml", content: RolloutEngineTests.inventory(Self.strategy, segmentSeconds: 60, siteB: siteB))])
                .compile(agentBuilds: [Self.build])
        }
        let old = try compiled("")
        let new = try compiled("agentVersion: 0.2.0")
        let input = RolloutPlanner.Input(desired: new, served: RolloutEngineTests.stamped(old, 1),
                                         target: RolloutEngineTests.stamped(new, 2))
        var rollout = try #require(RolloutPlanner.start(revision: 2, input: input, now: t0))
        #expect(rollout.nodes.map(\.name) == ["pi4", "pi5"])
        #expect(rollout.advance(now: t0, isOnline: { _ in true }) == ["pi4"])
        #expect(rollout.served(for: "pi4")?.agent?.version == "0.2.0")
        return rollout
    }

    static func report(agentVersion: String, bytes: UInt64, upgrade: AgentUpgradeStatus? = nil) -> StatusReport {
        var report = RolloutEngineTests.report("pi4", revision: 2, bytes: bytes)
        report.agentVersion = agentVersion
        report.agentUpgrade = upgrade
        return report
    }

    @Test func healthyOnlyOnceTheWantedAgentRuns() throws {
        var rollout = try start()
        var now = t0
        var bytes: UInt64 = 100
        let downloading = AgentUpgradeStatus(version: "0.2.0", sha256: Self.build.sha256, state: .downloading,
                                             bytesDone: 5_000_000, bytesTotal: 10_000_000)
        // Everything records, but the old agent runs: never healthy, however long.
        for _ in 0..<5 {
            _ = rollout.observe(node: "pi4", report: Self.report(agentVersion: "0.1.0", bytes: bytes, upgrade: downloading), at: now)
            bytes += 100
            now = now.addingTimeInterval(10)
        }
        let waiting = try #require(rollout.nodes.first { $0.name == "pi4" })
        #expect(waiting.state == .updating)
        #expect(waiting.reason == .agentNotUpgraded)
        #expect(waiting.detail == "runs agent 0.1.0, wants 0.2.0; downloading (5.0 of 10.0 MB)")
        for _ in 0..<5 {
            _ = rollout.observe(node: "pi4", report: Self.report(agentVersion: "0.2.0", bytes: bytes), at: now)
            bytes += 100
            now = now.addingTimeInterval(10)
        }
        #expect(rollout.nodes.first { $0.name == "pi4" }?.state == .healthy)
    }

    @Test func aRolledBackUpgradeFailsTheNodeAtOnce() throws {
        var rollout = try start()
        let rolledBack = AgentUpgradeStatus(version: "0.2.0", sha256: Self.build.sha256, state: .rolledBack,
                                            reason: .exitedAtStart, detail: "build exited with code 3 within 1 s of its start")
        _ = rollout.observe(node: "pi4", report: Self.report(agentVersion: "0.1.0", bytes: 100, upgrade: rolledBack), at: t0)
        let node = try #require(rollout.nodes.first { $0.name == "pi4" })
        #expect(node.state == .failed)
        #expect(node.reason == .agentUpgradeFailed)
        #expect(node.detail == "agent 0.2.0 rolled-back (exited-at-start): build exited with code 3 within 1 s of its start")
        #expect(rollout.state == .paused)
        #expect(rollout.reason == .nodeFailed)
    }

    @Test func aFailureForAnotherVersionDoesNotCount() throws {
        var rollout = try start()
        let old = AgentUpgradeStatus(version: "0.1.9", sha256: String(repeating: "f", count: 64), state: .failed,
                                     reason: .digestMismatch)
        _ = rollout.observe(node: "pi4", report: Self.report(agentVersion: "0.1.0", bytes: 100, upgrade: old), at: t0)
        #expect(rollout.nodes.first { $0.name == "pi4" }?.reason == .agentNotUpgraded)
        #expect(rollout.state == .running)
    }
}

/// The same through the fleet actor: publish, apply `agentVersion`, a rolled-back report pauses the rollout.
@Suite struct FleetAgentUpgradeTests {
    @Test func aRolledBackAgentUpgradeFailsTheCanaryAndPausesTheRollout() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agent-upgrade-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let builds = try AgentBuildStore(root: dir + "/agent-builds")
        let file = builds.incomingDirectory + "/upload.part"
        try Data("agent".utf8).write(to: URL(fileURLWithPath: file))
        let build = AgentBuild(version: "0.2.0", arch: "arm64", sha256: String(repeating: "a", count: 64), size: 5)
        _ = try await builds.commit(build, file: file, publishedBy: "admin")
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                          metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 5, agentBuilds: builds)
        try await fleet.load()
        let base = FleetRolloutTests.inventory(dir: "/srv/a")
        #expect(try await fleet.apply(files: [.init(path: "fleet.yaml", content: base)], dryRun: false).revision == 1)
        for index in 1...5 { _ = try await fleet.register(RegistrationRequest(name: "pi\(index)", agentVersion: "0.1.0")) }

        let upgraded = base.replacingOccurrences(of: "defaults:\n", with: "defaults:\n  agentVersion: 0.2.0\n")
        #expect(try await fleet.apply(files: [.init(path: "fleet.yaml", content: upgraded)], dryRun: false).revision == 2)
        // Only the canary is served the new agent version (and may download it).
        #expect(await fleet.servedAgentTarget(node: "pi1") == AgentTarget(version: "0.2.0", builds: [build]))
        #expect(await fleet.servedAgentTarget(node: "pi2") == nil)
        #expect(await fleet.agentVersionDemand() == ["0.2.0": 1])

        let report = StatusReport(agentVersion: "0.1.0", uptimeSeconds: 1, appliedRevision: 2, storage: [],
                                  stations: [StationStatus(station: "S1", state: .recording, restarts: 0,
                                                           currentSegment: "a.mkv", currentSegmentBytes: 1)],
                                  arch: "arm64",
                                  agentUpgrade: AgentUpgradeStatus(version: "0.2.0", sha256: build.sha256, state: .rolledBack,
                                                                   reason: .notHealthy, detail: "no heartbeat within 120 s"))
        _ = try await fleet.heartbeat(node: "pi1", report: report)
        let status = try #require(await fleet.rolloutStatus())
        #expect(status.state == "paused")
        let canary = try #require(status.nodes.first { $0.name == "pi1" })
        #expect(canary.state == "failed" && canary.reason == "agent-upgrade-failed")
        #expect(canary.detail == "agent 0.2.0 rolled-back (not-healthy-in-time): no heartbeat within 120 s")
        let detail = try await fleet.nodeDetail("pi1")
        #expect(detail.wantedAgentVersion == "0.2.0" && detail.agentUpgrade?.state == .rolledBack)
    }
}
