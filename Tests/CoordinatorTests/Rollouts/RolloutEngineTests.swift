@testable import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// The planner and the rollout state machine, with a clock the test moves.
@Suite struct RolloutEngineTests {
    static func inventory(_ rollout: String, segmentSeconds: Int, siteB: String = "") -> String {
        var yaml = """
            sites: {a: {}, b: {\(siteB)}}
            defaults:
              recorder: {passwordFile: /etc/pw, outputDir: /srv/rec, segmentSeconds: \(segmentSeconds)}
              rollout: \(rollout)
            nodes:
              pi1: {site: a}
              pi2: {site: a}
              pi3: {site: a}
              pi4: {site: b}
              pi5: {site: b}
            stations:

            """
        for index in 1...5 { yaml += "  S\(index): {node: pi\(index), camera: {host: 10.0.0.\(index)}}\n" }
        return yaml
    }

    static func stamped(_ state: DesiredState, _ revision: Int) -> [String: Assignment] {
        state.assignments.mapValues { var a = $0; a.revision = revision; return a }
    }

    static func start(_ rollout: String, siteB: String = "", now: Date) throws -> Rollout {
        let old = try Inventory.load(files: [.init(path: "f.yaml", content: inventory(rollout, segmentSeconds: 60))]).compile()
        let new = try Inventory.load(files: [.init(path: "f.yaml", content: inventory(rollout, segmentSeconds: 30, siteB: siteB))]).compile()
        let input = RolloutPlanner.Input(desired: new, served: stamped(old, 1), target: stamped(new, 2))
        return try #require(RolloutPlanner.start(revision: 2, input: input, now: now))
    }

    static func report(_ node: String, revision: Int, bytes: UInt64, restarts: Int = 0,
                       state: RecorderState = .recording) -> StatusReport {
        let index = node.dropFirst(2)
        return StatusReport(agentVersion: "1", uptimeSeconds: 1, appliedRevision: revision, storage: [],
                            stations: [StationStatus(station: "S\(index)", state: state, restarts: restarts,
                                                     currentSegment: "seg", currentSegmentBytes: bytes)])
    }

    /// Reports healthy for `seconds` (one report every 10 s) from `start`; returns the end time.
    static func healthy(_ rollout: inout Rollout, _ names: [String], from start: Date, seconds: Int) -> Date {
        var now = start
        var bytes: UInt64 = 100
        while now <= start.addingTimeInterval(Double(seconds)) {
            for name in names { _ = rollout.observe(node: name, report: report(name, revision: 2, bytes: bytes), at: now) }
            bytes += 100
            now = now.addingTimeInterval(10)
        }
        return now
    }

    let t0 = Date(timeIntervalSince1970: 1_000_000)
    let strategy = "{canary: 1, maxParallel: 2, minHealthyTime: 30s, healthyDeadline: 2m, progressDeadline: 10m, autoPromote: true}"

    @Test func plansCanariesThenBatchesSiteBySite() throws {
        let rollout = try Self.start(strategy, now: t0)
        #expect(rollout.nodes.map(\.name) == ["pi1", "pi4", "pi2", "pi3", "pi5"])
        #expect(rollout.nodes.map(\.batch) == [0, 0, 1, 1, 2])
        #expect(rollout.batchCount == 3)
        #expect(rollout.held.keys.sorted() == ["pi1", "pi2", "pi3", "pi4", "pi5"])
    }

    @Test func canaryThenBatchesInOrder() throws {
        var rollout = try Self.start(strategy, now: t0)
        #expect(rollout.advance(now: t0, isOnline: { _ in true }) == ["pi1", "pi4"])
        #expect(rollout.served(for: "pi1")?.revision == 2 && rollout.served(for: "pi2")?.revision == 1)
        #expect(rollout.statusLine(now: t0) == "canary: waiting for 2 nodes to be healthy for 30s")
        var now = Self.healthy(&rollout, ["pi1", "pi4"], from: t0, seconds: 30)
        #expect(rollout.advance(now: now, isOnline: { _ in true }) == ["pi2", "pi3"])
        #expect(rollout.statusLine(now: now) == "batch 1/2: waiting for 2 nodes to be healthy for 30s")
        now = Self.healthy(&rollout, ["pi2", "pi3"], from: now, seconds: 30)
        #expect(rollout.advance(now: now, isOnline: { _ in true }) == ["pi5"])
        now = Self.healthy(&rollout, ["pi5"], from: now, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        #expect(rollout.state == .succeeded)
        #expect(rollout.held.isEmpty)
    }

    @Test func aSilentNodeStartsItsHealthyTimeAgain() throws {
        var rollout = try Self.start(strategy, now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 1), at: t0)
        // Silent for longer than three heartbeats (10 s each): the healthy time starts again.
        _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 2), at: t0 + 40)
        #expect(rollout.nodes[0].state == .updating && rollout.nodes[0].healthySince == t0 + 40)
        _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 3), at: t0 + 70)
        #expect(rollout.nodes[0].state == .healthy)
    }

    @Test func autoPromoteFalseWaitsForPromotion() throws {
        var rollout = try Self.start(strategy.replacingOccurrences(of: "autoPromote: true", with: "autoPromote: false"), now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        let now = Self.healthy(&rollout, ["pi1", "pi4"], from: t0, seconds: 30)
        #expect(rollout.advance(now: now, isOnline: { _ in true }).isEmpty)
        #expect(rollout.state == .waitingPromotion)
        #expect(rollout.statusLine(now: now).hasPrefix("waiting for promotion"))
        #expect(rollout.served(for: "pi2")?.revision == 1)
        try rollout.promote(now: now)
        #expect(rollout.advance(now: now, isOnline: { _ in true }) == ["pi2", "pi3"])
    }

    @Test func failurePausesWithoutAutoRevert() throws {
        var rollout = try Self.start(strategy, now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 1, restarts: 0), at: t0)
        _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 2, restarts: 1), at: t0 + 10)
        #expect(rollout.state == .paused)
        #expect(rollout.statusLine(now: t0 + 10) == "paused: canary pi1 failed: recorder S1 restarted")
        #expect(rollout.nodes[0].state == .failed && rollout.nodes[0].reason == .recorderRestarted)
        #expect(rollout.served(for: "pi1")?.revision == 2)
        #expect(rollout.advance(now: t0 + 20, isOnline: { _ in true }).isEmpty)
    }

    @Test func autoRevertReturnsOnlyFailedNodesToLastGood() throws {
        var rollout = try Self.start(strategy.replacingOccurrences(of: "}", with: ", autoRevert: true}"), now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        let changed = rollout.observe(node: "pi4", report: Self.report("pi4", revision: 2, bytes: 1, state: .stalled), at: t0)
        #expect(changed == ["pi4"])
        #expect(rollout.state == .reverting)
        #expect(rollout.served(for: "pi4")?.revision == 1)
        #expect(rollout.served(for: "pi1")?.revision == 2)
        #expect(rollout.nodes.filter { $0.state == .reverted }.map(\.name) == ["pi4"])
        _ = rollout.observe(node: "pi4", report: Self.report("pi4", revision: 1, bytes: 1), at: t0 + 10)
        #expect(rollout.state == .reverted)
    }

    @Test func revertNotConfirmedIsRevertFailed() throws {
        var rollout = try Self.start(strategy.replacingOccurrences(of: "}", with: ", autoRevert: true}"), now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        _ = rollout.observe(node: "pi4", report: Self.report("pi4", revision: 2, bytes: 1, state: .stalled), at: t0)
        _ = rollout.tick(now: t0 + 121, isOnline: { _ in true })
        #expect(rollout.state == .revertFailed)
    }

    @Test func healthyDeadlineFailsANode() throws {
        var rollout = try Self.start(strategy, now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        _ = rollout.tick(now: t0 + 121, isOnline: { _ in true })
        #expect(rollout.nodes[0].state == .failed && rollout.nodes[0].reason == .healthyDeadline)
        #expect(rollout.state == .paused)
    }

    /// The progress deadline is a backstop over the per-node deadlines; shortened here
    /// (past validation) so the test can reach it while a node is still updating.
    @Test func progressDeadlineFailsAStalledRolloutAndIsResetByHealthyNodes() throws {
        var rollout = try Self.start("{canary: 0, maxParallel: 2, minHealthyTime: 30s, healthyDeadline: 20m, progressDeadline: 30m}", now: t0)
        rollout.progressDeadlineSeconds = 100
        #expect(rollout.advance(now: t0, isOnline: { _ in true }) == ["pi1", "pi2"])
        let now = Self.healthy(&rollout, ["pi1"], from: t0 + 60, seconds: 30)   // healthy at t0+90
        _ = rollout.tick(now: t0 + 150, isOnline: { _ in true })
        #expect(rollout.state == .running)   // reset at t0+90
        _ = rollout.tick(now: now + 101, isOnline: { _ in true })
        #expect(rollout.state == .failed && rollout.reason == .progressDeadline)
        #expect(rollout.statusLine(now: now) == "failed: no node turned healthy for 1m 40s" || rollout.statusLine(now: now).hasPrefix("failed: no node turned healthy"))
    }

    @Test func resumeRetriesFailedNodesOfTheBatch() throws {
        var rollout = try Self.start(strategy, now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        _ = rollout.tick(now: t0 + 121, isOnline: { _ in true })
        #expect(rollout.state == .paused)
        try rollout.resume(now: t0 + 200)
        #expect(rollout.nodes[0].state == .updating && rollout.nodes[0].releasedAt == t0 + 200)
    }

    @Test func offlineNodeWaitsAndGetsTheDecisionOnReturn() throws {
        var rollout = try Self.start(strategy, now: t0)
        #expect(rollout.advance(now: t0, isOnline: { $0 != "pi4" }) == ["pi1"])
        #expect(rollout.nodes[1].state == .waitingOffline)
        #expect(rollout.served(for: "pi4")?.revision == 2)
        var now = Self.healthy(&rollout, ["pi1"], from: t0, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        now = Self.healthy(&rollout, ["pi2", "pi3"], from: now, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        now = Self.healthy(&rollout, ["pi5"], from: now, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        #expect(rollout.state == .succeeded)
        #expect(rollout.statusLine(now: now) == "succeeded; pi4 get it when back online")
        _ = rollout.observe(node: "pi4", report: Self.report("pi4", revision: 1, bytes: 1), at: now)
        #expect(rollout.nodes[1].state == .updating && rollout.served(for: "pi4")?.revision == 2)
    }

    @Test func nodeBackOnlineAfterTheRolloutSucceededStillHasAHealthyDeadline() throws {
        var rollout = try Self.start(strategy, now: t0)
        _ = rollout.advance(now: t0, isOnline: { $0 != "pi4" })
        var now = Self.healthy(&rollout, ["pi1"], from: t0, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        now = Self.healthy(&rollout, ["pi2", "pi3"], from: now, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        now = Self.healthy(&rollout, ["pi5"], from: now, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        #expect(rollout.state == .succeeded)
        _ = rollout.observe(node: "pi4", report: Self.report("pi4", revision: 1, bytes: 1), at: now)
        _ = rollout.tick(now: now + 121, isOnline: { _ in true })
        #expect(rollout.nodes[1].state == .failed && rollout.nodes[1].reason == .healthyDeadline)
        #expect(rollout.state == .succeeded)
    }

    @Test func everyNodeOfflineDoesNotSucceed() throws {
        var rollout = try Self.start(strategy, now: t0)
        #expect(rollout.advance(now: t0, isOnline: { _ in false }).isEmpty)
        #expect(rollout.state == .running && rollout.currentBatch == rollout.batchCount - 1)
        #expect(rollout.nodes.allSatisfy { $0.state == .waitingOffline })
        #expect(rollout.statusLine(now: t0) == "batch 2/2: every node is offline; 5 nodes waiting offline get revision 2 when back online")
        // One comes back and turns healthy: now the revision has shown it works.
        _ = rollout.observe(node: "pi5", report: Self.report("pi5", revision: 2, bytes: 1), at: t0 + 10)
        let now = Self.healthy(&rollout, ["pi5"], from: t0 + 20, seconds: 30)
        _ = rollout.advance(now: now, isOnline: { _ in true })
        #expect(rollout.state == .succeeded)
    }

    @Test func decodedRolloutFindsItsNodes() throws {
        let rollout = try Self.start(strategy, now: t0)
        let decoded = try WireCoding.decode(Rollout.self, from: WireCoding.encode(rollout))
        #expect(decoded == rollout)
        #expect(decoded.index(of: "pi4") == 1 && decoded.members(of: 1).map(\.name) == ["pi2", "pi3"])
    }

    /// The real agent reports the new revision applied while it restarts the recorder for its
    /// new configuration: `backing-off` (no error), then `recording` with one restart more.
    @Test func theRestartOfTheChangeItselfIsNotAFailure() throws {
        var rollout = try Self.start(strategy, now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 1, state: .backingOff), at: t0)
        #expect(rollout.nodes[0].state == .updating && rollout.nodes[0].reason == .recorderNotRecording)
        for step in 1...5 {
            _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: UInt64(step), restarts: 1),
                                at: t0 + Double(10 * step))
        }
        #expect(rollout.nodes[0].state == .healthy)
        // Settled: from now on a restart is a failure again.
        var second = try Self.start(strategy, now: t0)
        _ = second.advance(now: t0, isOnline: { _ in true })
        _ = second.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 1, restarts: 1), at: t0)
        _ = second.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 2, restarts: 2), at: t0 + 10)
        #expect(second.nodes[0].state == .failed && second.nodes[0].reason == .recorderRestarted)
        // Restarting again and again while starting is a failure too.
        var third = try Self.start(strategy, now: t0)
        _ = third.advance(now: t0, isOnline: { _ in true })
        _ = third.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 1, state: .backingOff), at: t0)
        _ = third.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 1, restarts: 2, state: .backingOff), at: t0 + 5)
        #expect(third.nodes[0].state == .failed && third.nodes[0].reason == .recorderRestarted)
    }

    @Test func offlineNodeOfARevertedRolloutGetsTheOldRevision() throws {
        var rollout = try Self.start(strategy.replacingOccurrences(of: "}", with: ", autoRevert: true}"), now: t0)
        _ = rollout.advance(now: t0, isOnline: { $0 != "pi4" })
        _ = rollout.observe(node: "pi1", report: Self.report("pi1", revision: 2, bytes: 1, state: .stalled), at: t0)
        #expect(rollout.served(for: "pi4")?.revision == 1)
        _ = rollout.observe(node: "pi4", report: Self.report("pi4", revision: 1, bytes: 1), at: t0 + 5)
        #expect(rollout.nodes[1].state == .reverted && rollout.served(for: "pi4")?.revision == 1)
    }

    @Test func operatorControls() throws {
        var rollout = try Self.start(strategy, now: t0)
        _ = rollout.advance(now: t0, isOnline: { _ in true })
        #expect(throws: RolloutControlError.notAllowed("promote", .running)) { try rollout.promote(now: t0) }
        try rollout.pause()
        #expect(rollout.statusLine(now: t0) == "paused: paused by an operator")
        try rollout.resume(now: t0)
        try rollout.abort(now: t0)
        #expect(rollout.state == .aborted)
        #expect(rollout.served(for: "pi1")?.revision == 2 && rollout.served(for: "pi2")?.revision == 1)
        #expect(throws: RolloutControlError.notAllowed("resume", .aborted)) { try rollout.resume(now: t0) }
    }

    @Test func noRolloutBlockMeansNoRollout() throws {
        let yaml = Self.inventory("{canary: 1}", segmentSeconds: 30).replacingOccurrences(of: "  rollout: {canary: 1}\n", with: "")
        let state = try Inventory.load(files: [.init(path: "f.yaml", content: yaml)]).compile()
        #expect(RolloutPlanner.start(revision: 2, input: .init(desired: state, served: [:], target: [:]), now: t0) == nil)
    }
}
