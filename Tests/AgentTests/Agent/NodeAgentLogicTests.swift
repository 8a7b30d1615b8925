@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// The agent's own logic — registration, outbox and acknowledgement, command de-duplication —
/// driven one step at a time against in-memory fakes (see AgentFakes.swift): no processes, no HTTP.
@Suite struct NodeAgentLogicTests {
    struct Setup {
        let agent: NodeAgent
        let coordinator: FakeCoordinator
        let state: InMemoryAgentState
        let jobs: CountingJobs
    }

    func makeAgent(state: InMemoryAgentState = InMemoryAgentState(), coordinator: FakeCoordinator = FakeCoordinator(),
                   jobs: CountingJobs = CountingJobs()) throws -> Setup {
        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: "/nonexistent-unused", statusListen: nil)
        var logger = Logger(label: "agent-logic-test")
        logger.logLevel = .critical
        let agent = NodeAgent(configuration: configuration, client: coordinator, state: state, logger: logger,
                              metrics: AgentMetrics(), recorders: nil, jobs: jobs)
        return Setup(agent: agent, coordinator: coordinator, state: state, jobs: jobs)
    }

    static func command(_ id: String, target: String = "nightly") -> Command {
        Command(id: id, kind: .runBackup, target: target, node: "pi-1", issuedAt: Date(), expiresAt: Date().addingTimeInterval(600))
    }

    @Test func registersOnceAndKeepsTheCredential() async throws {
        let setup = try makeAgent()
        #expect(await setup.agent.connectOnce() == .watched)
        #expect(await setup.agent.connectOnce() == .watched)
        #expect(await setup.coordinator.registrations.map(\.name) == ["pi-1"])
        #expect(await setup.coordinator.watches == 2)
        #expect(setup.state.identity?.token == "sfn_fake1")
        #expect(await setup.agent.heartbeatSeconds == 7)
    }

    @Test func aStoredCredentialOfAnotherNameIsNotUsed() async throws {
        let state = InMemoryAgentState()
        try state.saveIdentity(NodeIdentity(name: "someone-else", token: "sfn_old", registeredAt: Date()))
        let setup = try makeAgent(state: state)
        #expect(await setup.agent.identity == nil)
        _ = await setup.agent.connectOnce()
        #expect(setup.state.identity?.name == "pi-1")
    }

    @Test func assignmentIsPersistedBeforeItIsActedOn() async throws {
        let setup = try makeAgent()
        let assignment = Assignment(node: "pi-1", site: "s", revision: 4, heartbeatSeconds: 3)
        await setup.coordinator.script(watch: [.success(WatchResponse(assignment: assignment, commands: []))])
        #expect(await setup.agent.connectOnce() == .watched)
        #expect(setup.state.loadAssignment() == assignment)
        #expect(await setup.agent.assignment == assignment)
        #expect(await setup.agent.heartbeatSeconds == 3)
        #expect(await setup.agent.appliedRevisionOrAssigned == 4)
    }

    @Test func unreachableCoordinatorBacksOffAndResetsAfterSuccess() async throws {
        let setup = try makeAgent()
        await setup.coordinator.script(watch: [.failure(.unreachable("down")), .failure(.unreachable("down")),
                                               .success(WatchResponse(assignment: nil, commands: []))])
        guard case .retry(let first) = await setup.agent.connectOnce(),
              case .retry(let second) = await setup.agent.connectOnce() else {
            Issue.record("an unreachable coordinator must mean retry")
            return
        }
        #expect(first <= .milliseconds(500) && second <= .seconds(1) && second >= .milliseconds(500))
        #expect(await setup.agent.connectOnce() == .watched)
        #expect(await setup.agent.connectionBackoff.attempt == 0)
    }

    @Test func revokedCredentialIsForgottenAndRegisteredAnew() async throws {
        let setup = try makeAgent()
        _ = await setup.agent.connectOnce()
        await setup.coordinator.failHeartbeats([.unauthorized("revoked")])
        await setup.agent.reportOnce()
        #expect(await setup.agent.identity == nil)
        #expect(setup.state.identity == nil)
        _ = await setup.agent.connectOnce()
        #expect(await setup.coordinator.registrations.count == 2)
        #expect(setup.state.identity?.token == "sfn_fake2")
    }

    @Test func outboxItemsLeaveOnlyWhenAcknowledged() async throws {
        let state = InMemoryAgentState()
        var queued = Outbox()
        queued.events = [AgentEvent(id: "e1", kind: "k", message: "one"), AgentEvent(id: "e2", kind: "k", message: "two")]
        try state.saveOutbox(queued)
        let setup = try makeAgent(state: state)
        _ = await setup.agent.connectOnce()

        await setup.coordinator.failHeartbeats([.unreachable("down")])
        await setup.agent.reportOnce()
        #expect(setup.agent.journal.pendingEvents.map(\.id) == ["e1", "e2"], "a failed heartbeat keeps everything")

        await setup.agent.reportOnce()
        #expect(await setup.coordinator.reports.last?.events.map(\.id) == ["e1", "e2"])
        #expect(setup.agent.journal.pendingCount == 0)
        #expect(setup.state.outbox.events.isEmpty, "outbox.json no longer holds them")
        let reopened = ReportJournal(directory: setup.state.journal.directory, logger: Logger(label: "t"))
        #expect(reopened.pendingCount == 0 && reopened.deliveredThrough == 2, "the acknowledgement is persisted")
    }

    @Test func itemsQueuedDuringAHeartbeatStay() throws {
        let state = InMemoryAgentState()
        let journal = state.journal
        journal.enqueue([.event(AgentEvent(id: "sent", kind: "k", message: "m")),
                         .segment(SegmentRecord(station: "cam1", name: "a.mkv", start: Date(), durationSeconds: 60, bytes: 1, valid: true))])
        try journal.flush()
        let batch = journal.nextBatch(maxPerKind: ReportLimits.maxItems)
        let report = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0, storage: [], stations: [],
                                  events: batch.events, segments: batch.segments, jobRuns: [], jobs: [], commandResults: [])
        journal.enqueue([.event(AgentEvent(id: "late", kind: "k", message: "m")),
                         .segment(SegmentRecord(station: "cam1", name: "b.mkv", start: Date(), durationSeconds: 60, bytes: 1, valid: true))])
        #expect(journal.acknowledge(carriedIn: report))
        #expect(journal.pendingEvents.map(\.id) == ["late"])
        #expect(journal.pendingItems().compactMap { if case .segment(let s) = $0 { s.name } else { nil } } == ["b.mkv"])
        let empty = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0, storage: [], stations: [],
                                 events: [], segments: [], jobRuns: [], jobs: [], commandResults: [])
        let carriedNothing = !journal.acknowledge(carriedIn: empty)
        #expect(carriedNothing)
    }

    @Test func aRedeliveredCommandRunsOnce() async throws {
        let setup = try makeAgent()
        let command = Self.command("c1")
        let delivery = WatchResponse(assignment: nil, commands: [command])
        await setup.coordinator.script(watch: [.success(delivery), .success(delivery)])
        _ = await setup.agent.connectOnce()
        _ = await setup.agent.connectOnce()  // redelivered while (or after) it runs
        let finished = await waitUntil("command result", timeout: .seconds(10)) {
            await setup.agent.outbox.commandResults.count == 1
        }
        #expect(finished)
        await setup.coordinator.script(watch: [.success(delivery)])
        _ = await setup.agent.connectOnce()  // redelivered after it finished
        #expect(await setup.agent.commands.running.isEmpty)
        #expect(await setup.jobs.runs == ["nightly"])
        #expect(await setup.agent.outbox.commandResults.map(\.commandId) == ["c1"])
        #expect(await setup.agent.outbox.commandResults.first?.ok == true)
        #expect(setup.state.outbox.doneCommands == ["c1"], "done ids are persisted")
    }

    @Test func commandResultGoesOutAndADoneCommandSurvivesARestart() async throws {
        let setup = try makeAgent()
        await setup.coordinator.script(watch: [.success(WatchResponse(assignment: nil, commands: [Self.command("c2")]))])
        _ = await setup.agent.connectOnce()
        #expect(await waitUntil("command result", timeout: .seconds(10)) { await !setup.agent.outbox.commandResults.isEmpty })
        await setup.agent.reportOnce()
        #expect(await setup.coordinator.reports.last?.commandResults.map(\.commandId) == ["c2"])
        #expect(await setup.agent.outbox.commandResults.isEmpty, "acknowledged results leave")
        #expect(await setup.agent.outbox.doneCommands == ["c2"], "but the id is remembered")

        // A new agent on the same state (a restart) does not run it again.
        let restarted = try makeAgent(state: setup.state, coordinator: setup.coordinator, jobs: setup.jobs)
        await setup.coordinator.script(watch: [.success(WatchResponse(assignment: nil, commands: [Self.command("c2")]))])
        _ = await restarted.agent.connectOnce()
        #expect(await restarted.agent.commands.running.isEmpty)
        #expect(await setup.jobs.runs == ["nightly"])
    }

    @Test func aCommandTheNodeCannotCarryOutFails() async throws {
        let setup = try makeAgent()
        let restart = Command(id: "c3", kind: .restartRecorder, target: "cam1", node: "pi-1", issuedAt: Date(),
                              expiresAt: Date().addingTimeInterval(600))
        await setup.coordinator.script(watch: [.success(WatchResponse(assignment: nil, commands: [restart]))])
        _ = await setup.agent.connectOnce()
        #expect(await waitUntil("command result", timeout: .seconds(10)) { await !setup.agent.outbox.commandResults.isEmpty })
        let result = try #require(await setup.agent.outbox.commandResults.first)
        #expect(!result.ok)
        #expect(result.message.contains("no recorders"))
    }

    @Test func commandGateAdmitsEachIdOnce() {
        var gate = CommandGate()
        let first = gate.admit("a", done: [])
        let whileRunning = gate.admit("a", done: [])
        gate.finish("a")
        let afterDone = gate.admit("a", done: ["a"])
        let other = gate.admit("b", done: ["a"])
        #expect(first)
        #expect(!whileRunning, "running")
        #expect(!afterDone, "done")
        #expect(other)
    }
}
