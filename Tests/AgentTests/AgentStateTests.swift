@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

@Suite struct AgentStateTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agent-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func stateRoundTripsWithPrivateModes() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = try AgentStateDir(path: dir, logger: Logger(label: "t"))
        let identity = NodeIdentity(name: "pi", token: "sfn_x", registeredAt: Date(timeIntervalSince1970: 5))
        try state.saveIdentity(identity)
        #expect(state.loadIdentity() == identity)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/identity.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let assignment = Assignment(node: "pi", site: "s", revision: 3, heartbeatSeconds: 5)
        try state.saveAssignment(assignment)
        #expect(state.loadAssignment() == assignment)
        // No temp files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }.isEmpty)
    }

    @Test func corruptStateIsMovedAsideNotLost() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{ this is not json".utf8).write(to: URL(fileURLWithPath: dir + "/assignment.json"))
        let state = try AgentStateDir(path: dir, logger: Logger(label: "t"))
        #expect(state.loadAssignment() == nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        let aside = try #require(files.first { $0.hasPrefix("assignment.json.corrupt-") })
        #expect(try String(contentsOfFile: dir + "/" + aside, encoding: .utf8) == "{ this is not json")
    }

    @Test func unwritableStateDirIsAClearError() {
        #expect(throws: StateError.self) { try AgentStateDir(path: "/proc/stationfleet-nope", logger: Logger(label: "t")) }
    }

    @Test func doneCommandIdsAreBounded() {
        var outbox = Outbox()
        outbox.doneCommands = (0..<(Outbox.maxDoneCommands + 10)).map { "c\($0)" }
        outbox.trim()
        #expect(outbox.doneCommands.count == Outbox.maxDoneCommands)
        #expect(outbox.doneCommands.first == "c10")
    }

    @Test func backoffGrowsWithJitterAndCaps() {
        var backoff = Backoff(base: .milliseconds(500), cap: .seconds(30), jitter: 0.5...1.0)
        let first = backoff.next()
        #expect(first >= .milliseconds(250) && first <= .milliseconds(500))
        var last = Duration.zero
        for _ in 0..<20 { last = backoff.next() }
        #expect(last <= .seconds(30) && last >= .seconds(15))
        backoff.reset()
        let afterReset = backoff.next()
        #expect(afterReset <= .milliseconds(500))
    }

    @Test func diskUsageMeasuresWithStatvfs() throws {
        let root = try #require(DiskUsage.measure("/"))
        #expect(root.totalBytes > 0)
        #expect(root.usedPercent > 0 && root.usedPercent < 100)
        // A path that does not exist yet is measured at its nearest parent.
        let missing = try #require(DiskUsage.measure("/tmp/does/not/exist/yet"))
        #expect(missing.path == "/tmp/does/not/exist/yet")
        #expect(missing.totalBytes > 0)
    }

    @Test func wakeupCollapsesSignalsAndTimesOut() async {
        let wakeup = Wakeup()
        await wakeup.signal()
        await wakeup.signal()
        let clock = ContinuousClock()
        let immediate = await clock.measure { await wakeup.wait(timeout: .seconds(5)) }
        #expect(immediate < .seconds(1))
        let timed = await clock.measure { await wakeup.wait(timeout: .milliseconds(100)) }
        #expect(timed >= .milliseconds(100) && timed < .seconds(3))
    }
}
