@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// A job runtime whose command-started run lasts until the test releases it.
actor GatedJobs: JobRuntime {
    private(set) var started = false
    var scheduledRunning = false
    private let gate = AsyncStream<Void>.makeStream()

    func runJob(kind: JobRun.Kind, name: String) async throws -> JobRun {
        started = true
        for await _ in gate.stream { break }
        return JobRun(job: name, kind: kind, startedAt: Date(), durationSeconds: 0.1, files: 1, bytes: 10, outcome: .succeeded)
    }

    func release() { gate.continuation.yield() }
    func setScheduledRunning(_ value: Bool) { scheduledRunning = value }
    func runningJobs() async -> [String] { started || scheduledRunning ? ["backup nightly"] : [] }
    func reconcile(archives: [ArchiveJobSpec], backups: [BackupJobSpec]) async {}
    func tick(now: Date) async {}
    func takeRuns() async -> [JobRun] { [] }
    func takeEvents() async -> [AgentEvent] { [] }
    func takeArchivedSegments() async -> [SegmentRecord] { [] }
    func jobStatuses() async -> [JobStatus] { [] }
    func shutdown() async {}
}

/// The report loop's interval: every 2 s while an operator's job run is under way, the
/// assignment's heartbeat otherwise — also while a scheduled run is (fleet-wide load).
@Suite struct ProgressHeartbeatTests {
    @Test func anOperatorsRunHeartbeatsEveryTwoSecondsAScheduledOneDoesNot() async throws {
        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: "/nonexistent-unused", statusListen: nil)
        var logger = Logger(label: "progress-heartbeat-test")
        logger.logLevel = .critical
        let coordinator = FakeCoordinator()
        let jobs = GatedJobs()
        let agent = NodeAgent(configuration: configuration, client: coordinator, state: InMemoryAgentState(), logger: logger,
                              metrics: AgentMetrics(), recorders: nil, jobs: jobs)
        #expect(await agent.connectOnce() == .watched)
        #expect(await agent.reportOnce() == .seconds(7))  // the fake coordinator's heartbeat

        await jobs.setScheduledRunning(true)
        #expect(await agent.reportOnce() == .seconds(7))
        await jobs.setScheduledRunning(false)

        let command = Command(id: "c1", kind: .runBackup, target: "nightly", node: "pi-1", issuedAt: Date(),
                              expiresAt: Date().addingTimeInterval(600))
        await coordinator.script(watch: [.success(WatchResponse(assignment: nil, commands: [command]))])
        _ = await agent.connectOnce()
        #expect(await waitUntil("run started", timeout: .seconds(10)) { await jobs.started })
        #expect(await agent.reportOnce() == .seconds(2))

        await jobs.release()
        #expect(await waitUntil("command result", timeout: .seconds(10)) { await !agent.outbox.commandResults.isEmpty })
        #expect(await agent.reportOnce() == .seconds(7))
    }
}
