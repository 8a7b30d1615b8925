import FleetProtocol
import FoundationEssentials

/// The job runtime when the archive ledger cannot be opened at all (say, a read-only state
/// disk): every assigned archive and backup job fails with `reason`, reported once as a
/// `ledger.unavailable` event and in each job's status, while recorders keep running.
public actor UnavailableJobs: JobRuntime {
    public let reason: String
    private var archives: [String] = []
    private var backups: [String] = []
    private var events: [AgentEvent]

    public init(reason: String) {
        self.reason = reason
        events = [AgentEvent(kind: "ledger.unavailable", message: "archive and backup jobs cannot run: \(reason)")]
    }

    public func reconcile(archives: [ArchiveJobSpec], backups: [BackupJobSpec]) {
        self.archives = archives.map(\.name)
        self.backups = backups.map(\.name)
    }

    public func tick(now: Date) {}

    public func runJob(kind: JobRun.Kind, name: String) throws -> JobRun {
        throw JobRunnerError.ledgerUnavailable(reason)
    }

    public func takeRuns() -> [JobRun] { [] }
    public func takeEvents() -> [AgentEvent] { defer { events = [] }; return events }
    public func takeArchivedSegments() -> [SegmentRecord] { [] }

    public func jobStatuses() -> [JobStatus] {
        archives.map { JobStatus(job: $0, kind: .archive, lastError: "ledger unavailable: \(reason)") }
            + backups.map { JobStatus(job: $0, kind: .backup, lastError: "ledger unavailable: \(reason)") }
    }

    public func shutdown() {}
}
