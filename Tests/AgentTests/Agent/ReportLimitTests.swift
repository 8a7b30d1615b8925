@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// The agent against a coordinator that enforces `ReportLimits` and rate limits: every
/// report fits, what was cut stays queued, and "not now" (429, 503, 507) means wait and keep.
@Suite struct ReportLimitTests {
    static func makeAgent(state: InMemoryAgentState, coordinator: FakeCoordinator) async throws -> NodeAgent {
        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: "/nonexistent-unused", statusListen: nil)
        var logger = Logger(label: "report-limit-test")
        logger.logLevel = .critical
        let agent = NodeAgent(configuration: configuration, client: coordinator, state: state, logger: logger,
                              metrics: AgentMetrics(), recorders: nil, jobs: nil)
        _ = await agent.connectOnce()  // registers
        return agent
    }

    static func result(_ i: Int) -> CommandResult {
        CommandResult(commandId: "c\(i)", ok: true, message: String(repeating: "x", count: 5000), completedAt: Date())
    }

    @Test func anOversizedOutboxGoesOutInFittingReportsAndNothingIsLost() async throws {
        let state = InMemoryAgentState()
        var queued = Outbox()
        queued.commandResults = (0..<150).map(Self.result)
        queued.events = (0..<620).map { AgentEvent(id: "e\($0)", kind: "k", message: String(repeating: "m", count: 3000)) }
        try state.saveOutbox(queued)
        let coordinator = FakeCoordinator()
        let agent = try await Self.makeAgent(state: state, coordinator: coordinator)

        await agent.reportOnce()
        let first = try #require(await coordinator.reports.last, "the coordinator accepted the first report")
        #expect(first.limitViolation() == nil)
        #expect(first.commandResults.count == ReportLimits.maxCommandResults)
        #expect(first.events.count == ReportLimits.maxItems)
        #expect(first.events.allSatisfy { $0.message.count <= ReportLimits.maxMessageLength })
        #expect(await agent.outbox.commandResults.map(\.commandId) == (100..<150).map { "c\($0)" }, "cut results stay queued")
        #expect(agent.journal.pendingCount == 120, "events beyond a batch stay queued")

        await agent.reportOnce()
        #expect(await coordinator.reports.count == 2)
        #expect(await agent.outbox.isEmpty && agent.journal.pendingCount == 0)
        let sent = await coordinator.reports.flatMap(\.commandResults).map(\.commandId)
        #expect(Set(sent) == Set((0..<150).map { "c\($0)" }))
        #expect(state.outbox.isEmpty, "the emptied outbox is persisted")
    }

    /// A backlog goes out batch after batch without waiting a heartbeat interval in between,
    /// oldest first; once it is gone the heartbeat interval is back.
    @Test func aBacklogDrainsAtTheBacklogPaceInOrder() async throws {
        let state = InMemoryAgentState()
        state.journal.enqueue((0..<1_100).map { .event(AgentEvent(id: "e\($0)", kind: "k", message: "m")) })
        try state.journal.flush()
        let coordinator = FakeCoordinator()
        let agent = try await Self.makeAgent(state: state, coordinator: coordinator)
        #expect(await agent.reportOnce() == NodeAgent.backlogPace)
        #expect(await agent.reportOnce() == NodeAgent.backlogPace)
        #expect(await agent.reportOnce() == .seconds(7), "the last 100 fit one report: back to the heartbeat interval")
        let sent = await coordinator.reports.flatMap(\.events).map(\.id)
        #expect(sent == (0..<1_100).map { "e\($0)" }, "every event once, in order")
        #expect(agent.journal.pendingCount == 0)
    }

    @Test func rateLimitedWaitsTheCoordinatorsRetryAfterAndKeepsTheOutbox() async throws {
        let state = InMemoryAgentState()
        var queued = Outbox()
        queued.events = [AgentEvent(id: "e1", kind: "k", message: "one")]
        try state.saveOutbox(queued)
        let coordinator = FakeCoordinator()
        let agent = try await Self.makeAgent(state: state, coordinator: coordinator)

        await coordinator.failHeartbeats([.rateLimited(retryAfter: .seconds(42)), .rateLimited(retryAfter: nil),
                                          .busy(status: 507, message: "coordinator disk full", retryAfter: .seconds(120)),
                                          .busy(status: 503, message: "store unavailable", retryAfter: nil)])
        #expect(await agent.reportOnce() == .seconds(42))
        let backoff = await agent.reportOnce()
        #expect(backoff > .zero && backoff <= .seconds(5), "no Retry-After: the report back-off")
        #expect(await agent.reportOnce() == .seconds(120))
        let second = await agent.reportOnce()
        #expect(second > .zero && second <= .seconds(10))
        #expect(agent.journal.pendingEvents.map(\.id) == ["e1"], "nothing dropped while the coordinator said not now")
        #expect(await agent.identity != nil, "a 429 is not a revoked credential")
        #expect(await agent.reportHold == "status 503")

        #expect(await agent.reportOnce() == .seconds(7), "accepted again: back to the heartbeat interval")
        #expect(await agent.reportHold == nil)
        #expect(await coordinator.reports.last?.events.map(\.id) == ["e1"])
        #expect(await agent.outbox.isEmpty && agent.journal.pendingCount == 0)
    }

    @Test func retryAfterIsParsedAndClamped() throws {
        let base = try #require(URL(string: "http://127.0.0.1:9"))
        #expect(CoordinatorClient.parseRetryAfter("30") == .seconds(30))
        #expect(CoordinatorClient.parseRetryAfter(" 0 ") == .seconds(1))
        #expect(CoordinatorClient.parseRetryAfter("86400") == .seconds(600))
        #expect(CoordinatorClient.parseRetryAfter(nil) == nil)
        #expect(CoordinatorClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        guard case .rateLimited(let after) = CoordinatorClient.error(status: 429, message: "slow down", retryAfter: "9", base: base)
        else { Issue.record("429 must be rateLimited"); return }
        #expect(after == .seconds(9))
        guard case .busy(507, _, let full) = CoordinatorClient.error(status: 507, message: "disk full", retryAfter: "60", base: base),
              case .busy(503, _, nil) = CoordinatorClient.error(status: 503, message: "unavailable", retryAfter: nil, base: base)
        else { Issue.record("503 and 507 must be busy"); return }
        #expect(full == .seconds(60))
        guard case .unreachable = CoordinatorClient.error(status: 500, message: "boom", retryAfter: nil, base: base)
        else { Issue.record("500 still fails over"); return }
    }
}
