import FleetProtocol
import FoundationEssentials

/// Where the agent keeps what must survive a restart: its credential, the last assignment and
/// the outbox of unacknowledged command results, and the journal of queued reports.
///
/// ``AgentStateDir`` is the real one (atomic files in the state dir). ``NodeAgent`` takes any
/// conforming value, so tests can hand it one kept in memory.
///
/// ```swift
/// let state: any AgentStateStore = try AgentStateDir(path: "/var/lib/stationfleet", logger: logger)
/// let journal = state.openReportJournal(maxBytes: ReportJournal.defaultMaxBytes)
/// journal.enqueue([.event(AgentEvent(kind: "agent.started", message: "hello"))])
/// try journal.flush()
/// ```
public protocol AgentStateStore: Sendable {
    func loadIdentity() -> NodeIdentity?
    func saveIdentity(_ identity: NodeIdentity) throws
    func deleteIdentity()
    func loadAssignment() -> Assignment?
    func saveAssignment(_ assignment: Assignment) throws
    /// The saved outbox, or an empty one.
    func loadOutbox() -> Outbox
    func saveOutbox(_ outbox: Outbox) throws
    /// The journal of events, segments and job runs not yet acknowledged (opened once, at start).
    func openReportJournal(maxBytes: Int64) -> ReportJournal
}

extension AgentStateDir: AgentStateStore {}
