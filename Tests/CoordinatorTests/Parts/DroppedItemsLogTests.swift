@testable import FleetCoordinator
import Foundation
import Testing

/// A node reporting items outside its assignment logs its first drop at once, then at most
/// once per interval with the held-back counts summed; other nodes are not held back by it.
@Suite struct DroppedItemsLogTests {
    let start = Date(timeIntervalSince1970: 1_000_000)
    func refusal(_ count: Int = 1, item: String = "stationStatus", reason: String = "station X is not assigned") -> ReportScope.Refusal {
        ReportScope.Refusal(item: item, reason: reason, count: count)
    }

    @Test func firstDropLoggedThenHeldUntilTheInterval() {
        var log = DroppedItemsLog(interval: 60)
        #expect(log.admit(node: "pi1", refusals: [refusal(2)], now: start) == [refusal(2)])
        // Within the minute: nothing logged, counts held.
        for second in 1...59 {
            #expect(log.admit(node: "pi1", refusals: [refusal(2)], now: start.addingTimeInterval(Double(second))).isEmpty)
        }
        // Another node is logged at once.
        #expect(log.admit(node: "pi2", refusals: [refusal()], now: start.addingTimeInterval(30)) == [refusal()])
        // After the interval: this drop plus the 59 × 2 held back, in one line.
        #expect(log.admit(node: "pi1", refusals: [refusal(2)], now: start.addingTimeInterval(60)) == [refusal(2 + 59 * 2)])
        #expect(log.admit(node: "pi1", refusals: [refusal()], now: start.addingTimeInterval(61)).isEmpty)
    }

    @Test func heldItemsOfAnotherKindGetTheirOwnLine() {
        var log = DroppedItemsLog(interval: 60)
        _ = log.admit(node: "pi", refusals: [refusal()], now: start)
        #expect(log.admit(node: "pi", refusals: [refusal(3, item: "jobRun", reason: "job j is not assigned")],
                          now: start.addingTimeInterval(1)).isEmpty)
        let lines = log.admit(node: "pi", refusals: [refusal()], now: start.addingTimeInterval(90))
        #expect(lines == [refusal(), refusal(3, item: "jobRun", reason: "job j is not assigned")])
        #expect(log.admit(node: "pi", refusals: [], now: start.addingTimeInterval(200)).isEmpty, "nothing dropped, nothing logged")
    }

    @Test func clockStepsBackLogAtOnceAndMemoryIsBounded() {
        var log = DroppedItemsLog(interval: 60, capacity: 100)
        _ = log.admit(node: "pi", refusals: [refusal()], now: start)
        // The clock stepped back: not a reason to stay silent for longer than the interval.
        #expect(log.admit(node: "pi", refusals: [refusal()], now: start.addingTimeInterval(-3_600)) == [refusal()])
        for index in 0..<1_000 {
            _ = log.admit(node: "n\(index)", refusals: [refusal()], now: start.addingTimeInterval(Double(index)))
        }
        #expect(log.rememberedCount <= 100)
        // The most recent node is still remembered (held back), an early one was forgotten (logged at once).
        #expect(log.admit(node: "n999", refusals: [refusal()], now: start.addingTimeInterval(1_000)).isEmpty)
        #expect(log.admit(node: "n0", refusals: [refusal()], now: start.addingTimeInterval(1_000)) == [refusal()])
    }

    /// A node naming a new station in every report cannot grow what is held for it: beyond
    /// the limit, counts go to one overflow line, and no count is lost.
    @Test func heldReasonsAreBoundedPerNode() {
        var log = DroppedItemsLog(interval: 60)
        _ = log.admit(node: "pi", refusals: [refusal()], now: start)
        for index in 0..<1_000 {
            _ = log.admit(node: "pi", refusals: [refusal(reason: "station S\(index) is not assigned")],
                          now: start.addingTimeInterval(1))
        }
        let lines = log.admit(node: "pi", refusals: [refusal()], now: start.addingTimeInterval(60))
        // The line that triggers the log, the 64 reasons held, and the overflow line.
        #expect(lines.count == 1 + DroppedItemsLog.maxHeldReasons + 1)
        #expect(lines.reduce(0) { $0 + $1.count } == 1 + 1_000)
        let overflow = lines.first { $0.reason == DroppedItemsLog.overflowReason }
        #expect(overflow?.count == 1_000 - DroppedItemsLog.maxHeldReasons)
    }
}
