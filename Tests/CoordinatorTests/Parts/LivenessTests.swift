@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

@Suite struct DeadlineQueueTests {
    @Test func popsDueKeysInOrderAndHonoursRescheduleAndCancel() {
        var queue = DeadlineQueue<String>()
        let t0 = Date(timeIntervalSince1970: 1000)
        queue.schedule("c", at: t0.addingTimeInterval(3))
        queue.schedule("a", at: t0.addingTimeInterval(1))
        queue.schedule("b", at: t0.addingTimeInterval(2))
        queue.schedule("a", at: t0.addingTimeInterval(10))  // supersedes a's first deadline
        queue.cancel("c")
        #expect(queue.nextDeadline() == t0.addingTimeInterval(2))
        #expect(queue.popDue(now: t0.addingTimeInterval(5)) == ["b"])
        #expect(queue.popDue(now: t0.addingTimeInterval(5)).isEmpty)
        #expect(queue.popDue(now: t0.addingTimeInterval(10)) == ["a"])
        #expect(queue.count == 0)
    }

    @Test func rescheduledKeysDoNotGrowTheHeapWithoutBound() {
        var queue = DeadlineQueue<Int>()
        let t0 = Date(timeIntervalSince1970: 0)
        for round in 0..<1000 {
            for key in 0..<10 { queue.schedule(key, at: t0.addingTimeInterval(Double(round))) }
        }
        #expect(queue.count == 10)
        #expect(queue.popDue(now: t0.addingTimeInterval(999)).sorted() == Array(0..<10))
    }
}

@Suite struct HeartbeatTrackerTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test func silentNodeIsMissedThenOfflineAndComesBackOnline() {
        var tracker = HeartbeatTracker()
        #expect(tracker.heartbeat(node: "pi1", at: t0, intervalSeconds: 10)?.kind == .online)  // first heartbeat
        #expect(tracker.heartbeat(node: "pi1", at: t0.addingTimeInterval(10), intervalSeconds: 10) == nil)
        #expect(tracker.tick(now: t0.addingTimeInterval(29)).isEmpty)  // 19 s silent < 2 × 10
        let missed = tracker.tick(now: t0.addingTimeInterval(31))
        #expect(missed.map(\.kind) == [.missed])
        #expect(tracker.state(of: "pi1") == .online)  // a missed heartbeat is not offline yet
        let offline = tracker.tick(now: t0.addingTimeInterval(41))
        #expect(offline.map(\.kind) == [.offline])
        #expect(offline.first?.message.contains("no heartbeat for 31s") == true)
        #expect(tracker.state(of: "pi1") == .offline)
        #expect(tracker.tick(now: t0.addingTimeInterval(500)).isEmpty)  // offline is reported once
        let back = tracker.heartbeat(node: "pi1", at: t0.addingTimeInterval(600), intervalSeconds: 10)
        #expect(back?.kind == .online)
        #expect(back?.message.contains("was offline") == true)
        #expect(tracker.state(of: "pi1") == .online)
    }

    @Test func aLongSilenceSeenLateGoesStraightToOffline() {
        var tracker = HeartbeatTracker()
        _ = tracker.heartbeat(node: "pi1", at: t0, intervalSeconds: 5)
        #expect(tracker.tick(now: t0.addingTimeInterval(60)).map(\.kind) == [.offline])
    }

    @Test func restoredNodesKeepTheirPhaseWithoutTransitions() {
        var tracker = HeartbeatTracker()
        tracker.restore(node: "old", lastHeartbeat: t0, intervalSeconds: 10, now: t0.addingTimeInterval(100))
        tracker.restore(node: "fresh", lastHeartbeat: t0.addingTimeInterval(95), intervalSeconds: 10, now: t0.addingTimeInterval(100))
        #expect(tracker.state(of: "old") == .offline)
        #expect(tracker.state(of: "fresh") == .online)
        #expect(tracker.tick(now: t0.addingTimeInterval(126)).map { "\($0.node) \($0.kind)" } == ["fresh offline"])
        tracker.forget("fresh")
        #expect(tracker.state(of: "fresh") == nil)
    }

    @Test func mergedHeartbeatsOnlyMoveForwardAndBringANodeBackOnline() {
        var tracker = HeartbeatTracker()
        let t0 = Date(timeIntervalSince1970: 1000)
        // A node restored before the grace is set is placed again under the new limits.
        tracker.restore(node: "pi0", lastHeartbeat: t0.addingTimeInterval(-21), intervalSeconds: 10, now: t0)
        #expect(tracker.state(of: "pi0") == .online)
        tracker.setSyncGrace(2, now: t0)
        #expect(tracker.tick(now: t0).isEmpty, "missed after 22 s now, not 20 s")
        tracker.forget("pi0")
        // First heard of through the store: taken silently, in the phase its age gives.
        #expect(tracker.merge(node: "pi1", lastHeartbeat: t0, intervalSeconds: 10, now: t0) == nil)
        #expect(tracker.state(of: "pi1") == .online)
        // The grace moves both limits: missed after 22 s, offline after 32 s.
        #expect(tracker.tick(now: t0.addingTimeInterval(21)).isEmpty)
        #expect(tracker.tick(now: t0.addingTimeInterval(33)).map(\.kind) == [.offline])
        // An older or equal heartbeat changes nothing; a newer one brings it back, once.
        #expect(tracker.merge(node: "pi1", lastHeartbeat: t0.addingTimeInterval(-5), intervalSeconds: 10,
                              now: t0.addingTimeInterval(34)) == nil)
        #expect(tracker.merge(node: "pi1", lastHeartbeat: t0, intervalSeconds: 10, now: t0.addingTimeInterval(34)) == nil)
        #expect(tracker.state(of: "pi1") == .offline)
        let back = tracker.merge(node: "pi1", lastHeartbeat: t0.addingTimeInterval(33), intervalSeconds: 10,
                                 now: t0.addingTimeInterval(34))
        #expect(back?.kind == .online)
        #expect(back?.message.contains("was offline") == true)
        #expect(tracker.lastHeartbeat(of: "pi1") == t0.addingTimeInterval(33))
        #expect(tracker.merge(node: "pi1", lastHeartbeat: t0.addingTimeInterval(33), intervalSeconds: 10,
                              now: t0.addingTimeInterval(35)) == nil)
        // A newer heartbeat that is itself too old keeps the node offline, without a transition.
        _ = tracker.tick(now: t0.addingTimeInterval(100))
        #expect(tracker.merge(node: "pi1", lastHeartbeat: t0.addingTimeInterval(40), intervalSeconds: 10,
                              now: t0.addingTimeInterval(100)) == nil)
        #expect(tracker.state(of: "pi1") == .offline)
    }
}
