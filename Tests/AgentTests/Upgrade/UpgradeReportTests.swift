@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// A job runtime with one job running, for the "wait until no job runs" step.
actor BusyJobs: JobRuntime {
    func runningJobs() async -> [String] { ["archive nightly"] }
    func runJob(kind: JobRun.Kind, name: String) async throws -> JobRun {
        JobRun(job: name, kind: kind, startedAt: Date(), durationSeconds: 0, files: 0, bytes: 0, outcome: .succeeded)
    }
    func reconcile(archives: [ArchiveJobSpec], backups: [BackupJobSpec]) async {}
    func tick(now: Date) async {}
    func takeRuns() async -> [JobRun] { [] }
    func takeEvents() async -> [AgentEvent] { [] }
    func takeArchivedSegments() async -> [SegmentRecord] { [] }
    func jobStatuses() async -> [JobStatus] { [] }
    func shutdown() async {}
}

/// What the agent reports about an upgrade, through the reconciler and a heartbeat (fakes, no exec).
@Suite struct UpgradeReportTests {
    func makeAgent(_ dir: RecorderScratch, target: AgentTarget, jobs: (any JobRuntime)?,
                   executable: String? = nil) async throws -> (NodeAgent, FakeCoordinator) {
        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: dir.path, statusListen: nil)
        var logger = Logger(label: "upgrade-report-test")
        logger.logLevel = .critical
        let state = InMemoryAgentState()
        try state.saveIdentity(NodeIdentity(name: "pi-1", token: "sfn_test", registeredAt: Date()))
        try state.saveAssignment(Assignment(node: "pi-1", site: "s", revision: 1, heartbeatSeconds: 1, agent: target))
        // An executable that does not exist: should anything try to start the guardian, it fails
        // and nothing is exec'd in the test process.
        let upgrader = AgentUpgrader(paths: UpgradePaths(stateDir: dir.path), publicKey: nil, deadlineSeconds: 120,
                                     executable: executable ?? dir.sub("missing/fleet-agent"), runningVersion: "0.1.0", logger: logger)
        let coordinator = FakeCoordinator()
        let agent = NodeAgent(configuration: configuration, client: coordinator, state: state, logger: logger,
                              metrics: AgentMetrics(), recorders: nil, jobs: jobs, upgrader: upgrader)
        return (agent, coordinator)
    }

    @Test func reportCarriesArchVersionAndAFailedUpgrade() async throws {
        let dir = try RecorderScratch("upgrade-report")
        defer { dir.remove() }
        var other = AgentUpgraderTests.build()
        other.arch = AgentArch.allCases.first { $0 != .current }?.rawValue ?? "other"
        let (agent, coordinator) = try await makeAgent(dir, target: AgentTarget(version: "0.2.0", builds: [other]), jobs: nil)
        await agent.reconcileOnce()
        await agent.reportOnce()
        let report = try #require(await coordinator.reports.last)
        #expect(report.arch == AgentArch.current.rawValue)
        #expect(report.agentVersion == "0.1.0")
        #expect(report.agentUpgrade?.state == .failed)
        #expect(report.agentUpgrade?.reason == .noBuildForArch)
    }

    @Test func aVerifiedBuildWaitsForRunningJobs() async throws {
        let dir = try RecorderScratch("upgrade-wait")
        defer { dir.remove() }
        let payload = AgentUpgraderTests.payload
        let build = AgentUpgraderTests.build()
        let paths = UpgradePaths(stateDir: dir.path)
        try FileManager.default.createDirectory(atPath: paths.downloadsDir, withIntermediateDirectories: true)
        try payload.write(to: URL(fileURLWithPath: paths.partPath(sha256: build.sha256)))
        let (agent, coordinator) = try await makeAgent(dir, target: AgentTarget(version: "0.2.0", builds: [build]),
                                                       jobs: BusyJobs())
        await waitUntil("waiting for the job", timeout: .seconds(10)) {
            await agent.reconcileOnce()
            return await agent.upgrader?.status?.detail?.contains("waiting for job archive nightly") == true
        }
        await agent.reportOnce()
        let upgrade = try #require(await coordinator.reports.last?.agentUpgrade)
        #expect(upgrade.state == .downloading)
        #expect(upgrade.detail?.contains("waiting for job archive nightly") == true)
        #expect(upgrade.bytesDone == build.size)
        #expect(UpgradeRecord.load(from: paths.recordPath) == nil)  // nothing swapped, no trial
    }
}
