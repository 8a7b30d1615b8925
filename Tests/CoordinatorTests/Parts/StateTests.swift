@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

@Suite struct WatchRegistryTests {
    /// Parks a watch and returns a task that finishes when the registry resumes it.
    func park(_ box: WatchBox, node: String, deadline: Date) async -> Task<WatchRegistry.Wake, Never> {
        let task = Task { await box.parkAndWait(node: node, deadline: deadline) }
        #expect(await waitFor { await box.count == box.expectedAfterPark })
        return task
    }

    @Test func wakesByNodeByIdByDeadlineAndOnDrain() async {
        let box = WatchBox()
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        box.expectedAfterPark = 1
        let a = await park(box, node: "pi1", deadline: t0.addingTimeInterval(30))
        box.expectedAfterPark = 2
        let b = await park(box, node: "pi2", deadline: t0.addingTimeInterval(10))
        await box.expire(now: t0.addingTimeInterval(11))  // pi2's deadline passed
        await b.value
        #expect(await box.count == 1)
        await box.wake(node: "pi1")
        await a.value
        #expect(await box.count == 0)
        await box.drain()
        box.expectedAfterPark = 0
        let late = await park(box, node: "pi1", deadline: t0.addingTimeInterval(30))
        await late.value  // draining: parks nothing, returns at once
    }
}

/// An actor holding a registry, as `Fleet` does.
actor WatchBox {
    var registry = WatchRegistry()
    nonisolated(unsafe) var expectedAfterPark = 0
    var count: Int { registry.count }

    @discardableResult
    func parkAndWait(node: String, deadline: Date) async -> WatchRegistry.Wake {
        await withCheckedContinuation { registry.park(node: node, id: UUID(), deadline: deadline, continuation: $0) }
    }

    func expire(now: Date) { registry.expire(now: now) }
    func wake(node: String) { registry.wake(node: node) }
    func drain() { registry.drain() }
}

extension WatchRegistryTests {
    @Test func aNewWatchOfTheSameNodeSupersedesTheParkedOne() async {
        let box = WatchBox()
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        box.expectedAfterPark = 1
        let old = await park(box, node: "pi1", deadline: t0.addingTimeInterval(30))
        // The agent reconnected and watches again: the old watch ends, taking nothing.
        let new = await park(box, node: "pi1", deadline: t0.addingTimeInterval(30))
        #expect(await old.value == .superseded)
        #expect(await box.count == 1)
        box.expectedAfterPark = 2
        let other = await park(box, node: "pi2", deadline: t0.addingTimeInterval(30))  // another node's stays
        await box.wake(node: "pi1")
        #expect(await new.value == .ready)
        await box.wake(node: "pi2")
        #expect(await other.value == .ready)
    }
}

@Suite struct DesiredStateBookTests {
    func compile(_ yaml: String) throws -> DesiredState {
        try Inventory.load(files: [ApplyRequest.File(path: "f.yaml", content: yaml)]).compile()
    }

    static let base = """
        sites:
          s1: {}
        nodes:
          pi1: {site: s1}
          pi2: {site: s1}
        """

    @Test func plansOnlyTheNodesWhoseAssignmentChanges() throws {
        var book = DesiredStateBook()
        let first = book.plan(try compile(Self.base), appliedAt: Date())
        #expect(first.revision == 1)
        #expect(first.changedAssignments.map(\.node) == ["pi1", "pi2"])
        book.commit(first)
        #expect(book.site(of: "pi1") == "s1")
        #expect(!book.plan(try compile(Self.base), appliedAt: Date()).changesAnything)

        let shrunk = book.plan(try compile("sites:\n  s1: {}\nnodes:\n  pi1: {site: s1}\n"), appliedAt: Date())
        #expect(shrunk.revision == 2)
        #expect(shrunk.changedAssignments.isEmpty)
        #expect(shrunk.deletedNodes == ["pi2"])
        #expect(shrunk.touchedNodes == ["pi2"])
        book.commit(shrunk)
        #expect(book.assignment(for: "pi2", defaultHeartbeatSeconds: 7).revision == 0)
        #expect(book.assignment(for: "pi1", defaultHeartbeatSeconds: 7).revision == 1)  // untouched keeps its revision
    }

    @Test func theGateLetsOneApplyInAtATime() {
        var gate = SerialGate()
        let first = gate.tryEnter(), second = gate.tryEnter()
        #expect(first && !second)
        gate.leave()
        let afterLeave = gate.tryEnter()
        #expect(afterLeave)
    }
}

@Suite struct ObservedFleetTests {
    @Test func keepsTheStandingReportAndNamesChangedRecorders() {
        var observed = ObservedFleet()
        let recording = StationStatus(station: "ROST1", state: .recording, restarts: 0)
        var report = StatusReport(agentVersion: "1", uptimeSeconds: 5, appliedRevision: 2, stations: [recording],
                                  events: [AgentEvent(kind: "x", message: "m")])
        #expect(observed.record(node: "pi1", report: report).map(\.to) == [.recording])
        #expect(observed["pi1"]?.report.events.isEmpty == true)  // one-shot items are not kept
        #expect(observed.record(node: "pi1", report: report).isEmpty)  // nothing changed
        report.stations[0].state = .stalled
        let change = observed.record(node: "pi1", report: report)
        #expect(change == [StationStateChange(node: "pi1", station: "ROST1", from: .recording, to: .stalled)])
        #expect(observed.takeDirty() == ["pi1"])
        #expect(observed.takeDirty().isEmpty)
    }
}

@Suite struct SegmentMergeTests {
    @Test func laterReportsFillInAndNeverErase() {
        let start = Date(timeIntervalSince1970: 0)
        let probed = SegmentRecord(station: "S", name: "a", start: start, durationSeconds: 600, bytes: 10, valid: true)
        let archived = SegmentRecord(station: "S", name: "a", start: start, durationSeconds: 0, bytes: 0, valid: false,
                                     archivePath: "/nas/a", sha256: "ff")
        #expect(SegmentMerge.merge(existing: nil, incoming: probed) == probed)
        let merged = SegmentMerge.merge(existing: probed, incoming: archived)
        #expect(merged.durationSeconds == 600 && merged.valid && merged.bytes == 10)
        #expect(merged.archivePath == "/nas/a" && merged.sha256 == "ff")
        let reprobed = SegmentMerge.merge(existing: merged, incoming: probed)
        #expect(reprobed.sha256 == "ff")
    }
}
