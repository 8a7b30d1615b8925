@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// A recorder runtime that only remembers what it was asked to run.
actor RememberingRecorders: RecorderRuntime {
    private(set) var desired: [String] = []
    private(set) var reconciles = 0

    func run() async {}
    func reconcile(_ specs: [RecorderSpec]) { desired = specs.map(\.station); reconciles += 1 }
    func statuses() -> [StationStatus] { [] }
    func takeEvents() -> [AgentEvent] { [] }
    func takeSegments() -> [SegmentRecord] { [] }
    func openSegments() -> Set<String> { [] }
    func restartRecorder(station: String, reason: String, timeout: Duration) throws -> String { station }
    func stopAll() {}
}

/// A full state dir (a small tmpfs) never stops the agent: the assignment runs from memory,
/// the condition is reported once, and the state is persisted once space returns.
@Suite(.serialized) struct StateDirFullTests {
    @Test(.enabled(if: TmpfsMount.available, "needs root to mount tmpfs"))
    func aFullStateDirKeepsTheAssignmentRunningAndPersistsLater() async throws {
        let dir = try TempDir("state-full")
        defer { dir.cleanup() }
        let mount = try TmpfsMount(in: dir, name: "state", sizeKiB: 256)
        defer { mount.unmount() }
        let filler = mount.path + "/filler"
        // Fill the state dir: dd stops with ENOSPC, which is the point.
        _ = try shell("dd if=/dev/zero of='\(filler)' bs=4k 2>/dev/null")
        #expect(throws: StateError.self) { try AtomicFile.write(Data(repeating: 1, count: 8192), to: mount.path + "/probe", mode: 0o600) }

        var logger = Logger(label: "state-full-test")
        logger.logLevel = .critical
        let state = try AgentStateDir(path: mount.path, logger: logger)
        let coordinator = FakeCoordinator(), recorders = RememberingRecorders()
        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: mount.path, statusListen: nil)
        let agent = NodeAgent(configuration: configuration, client: coordinator, state: state, logger: logger,
                              metrics: AgentMetrics(), recorders: recorders, jobs: nil)
        let spec = RecorderSpec(station: "ROST1", cameraHost: "127.0.0.1", username: "u", passwordFile: "/nonexistent/pw",
                                outputDir: dir.path + "/rec")
        let assignment = Assignment(node: "pi-1", site: "s", revision: 3, heartbeatSeconds: 1, recorders: [spec])
        await coordinator.script(watch: [.success(WatchResponse(assignment: assignment, commands: []))])

        #expect(await agent.connectOnce() == .watched, "registration and the assignment are not stopped by a full state dir")
        for _ in 0..<3 { await agent.reconcileOnce() }
        #expect(await recorders.desired == ["ROST1"], "the assignment runs from memory")
        #expect(await recorders.reconciles == 3, "reconcile passes continue")
        #expect(await agent.appliedRevision == 3)
        #expect(await agent.stateUnwritable != nil)
        #expect(state.loadAssignment() == nil && state.loadIdentity() == nil)
        await agent.reportOnce()
        let unwritable = await coordinator.reports.flatMap(\.events).filter { $0.kind == "agent.state-unwritable" }
        #expect(unwritable.count == 1, "reported once per condition, not once per pass")
        #expect(unwritable.first?.message.contains(mount.path) == true)
        #expect(unwritable.first?.message.contains("No space left on device") == true, "\(unwritable.first?.message ?? "")")

        // Space returns: the next pass persists identity, assignment and outbox.
        try FileManager.default.removeItem(atPath: filler)
        await agent.reconcileOnce()
        #expect(await agent.stateUnwritable == nil)
        #expect(state.loadAssignment() == assignment)
        #expect(state.loadIdentity()?.token == "sfn_fake1")
        let onDisk = ReportJournal(directory: mount.path + "/outbox", logger: logger)
        #expect(onDisk.pendingEvents.contains { $0.kind == "agent.state-writable" }, "queued events are on disk now")
        await agent.reportOnce()
        #expect(await coordinator.reports.flatMap(\.events).contains { $0.kind == "agent.state-writable" })
        #expect(await recorders.desired == ["ROST1"])
    }
}
