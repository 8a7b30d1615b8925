@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging

// In-memory doubles of the agent's two seams. Fakes are right here: the tests that use them
// are about the agent's own logic (outbox, acknowledgement, command de-duplication,
// registration), not about HTTP or files — those have their own tests (CoordinatorClient via
// the integration tests, AgentStateDir in AgentStateTests).

/// A coordinator that answers from scripts and records what the agent sent.
actor FakeCoordinator: CoordinatorConnection {
    private(set) var registrations: [RegistrationRequest] = []
    private(set) var reports: [StatusReport] = []
    private(set) var watches = 0
    /// Answers for the next watches, in order; an empty script answers "nothing new".
    var watchScript: [Result<WatchResponse, CoordinatorClientError>] = []
    /// Failures for the next heartbeats, in order; an empty script acknowledges.
    var heartbeatFailures: [CoordinatorClientError] = []
    var desiredRevision = 0
    private var tokens = 0

    func register(_ request: RegistrationRequest, joinToken: String) async throws -> RegistrationResponse {
        registrations.append(request)
        tokens += 1
        return RegistrationResponse(name: request.name, nodeToken: "sfn_fake\(tokens)", heartbeatSeconds: 7)
    }

    func heartbeat(node: String, token: String, report: StatusReport) async throws -> StatusAck {
        if !heartbeatFailures.isEmpty { throw heartbeatFailures.removeFirst() }
        // As the real coordinator does: a report beyond ReportLimits is refused whole.
        if let violation = report.limitViolation() { throw CoordinatorClientError.rejected(status: 400, message: violation) }
        reports.append(report)
        return StatusAck(heartbeatSeconds: 7, desiredRevision: desiredRevision)
    }

    func watch(node: String, token: String, knownRevision: Int, timeoutSeconds: Int) async throws -> WatchResponse {
        watches += 1
        guard !watchScript.isEmpty else { return WatchResponse(assignment: nil, commands: []) }
        return try watchScript.removeFirst().get()
    }

    var currentURL: URL { URL(fileURLWithPath: "/fake-coordinator") }
    func shutdown() async {}

    func script(watch answers: [Result<WatchResponse, CoordinatorClientError>]) { watchScript += answers }
    func failHeartbeats(_ errors: [CoordinatorClientError]) { heartbeatFailures += errors }
}

/// The state dir, in memory — except the report journal, which is the real one in a scratch
/// folder (removed with this value): it has no in-memory stand-in, and files are cheap.
final class InMemoryAgentState: AgentStateStore {
    private struct Saved: Sendable {
        var identity: NodeIdentity?
        var assignment: Assignment?
        var outbox = Outbox()
    }
    private let saved = LockedValue(Saved())
    let journal = ReportJournal(directory: FileManager.default.temporaryDirectory
        .appendingPathComponent("agent-journal-\(UUID().uuidString)").path, logger: Logger(label: "journal"))

    deinit { try? FileManager.default.removeItem(atPath: journal.directory) }

    var identity: NodeIdentity? { saved.get().identity }
    var outbox: Outbox { saved.get().outbox }

    func loadIdentity() -> NodeIdentity? { saved.get().identity }
    func saveIdentity(_ identity: NodeIdentity) throws { saved.update { $0.identity = identity } }
    func deleteIdentity() { saved.update { $0.identity = nil } }
    func loadAssignment() -> Assignment? { saved.get().assignment }
    func saveAssignment(_ assignment: Assignment) throws { saved.update { $0.assignment = assignment } }
    func loadOutbox() -> Outbox { saved.get().outbox }
    func saveOutbox(_ outbox: Outbox) throws { saved.update { $0.outbox = outbox } }
    func openReportJournal(maxBytes: Int64) -> ReportJournal { journal }
}

extension ReportJournal {
    /// The events waiting to be acknowledged, oldest first.
    var pendingEvents: [AgentEvent] { pendingItems().compactMap { if case .event(let e) = $0 { e } else { nil } } }
}

/// A job runtime that only counts the jobs it was asked to run.
actor CountingJobs: JobRuntime {
    private(set) var runs: [String] = []

    func runJob(kind: JobRun.Kind, name: String) async throws -> JobRun {
        runs.append(name)
        return JobRun(job: name, kind: kind, startedAt: Date(), durationSeconds: 0.1, files: 1, bytes: 10, outcome: .succeeded)
    }

    func reconcile(archives: [ArchiveJobSpec], backups: [BackupJobSpec]) async {}
    func tick(now: Date) async {}
    func takeRuns() async -> [JobRun] { [] }
    func takeEvents() async -> [AgentEvent] { [] }
    func takeArchivedSegments() async -> [SegmentRecord] { [] }
    func jobStatuses() async -> [JobStatus] { [] }
    func shutdown() async {}
}
