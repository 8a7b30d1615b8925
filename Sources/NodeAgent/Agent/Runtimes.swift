import FleetProtocol
import FoundationEssentials

/// The recorder subsystem as the reconciler sees it: desired specs in, status out.
public protocol RecorderRuntime: Sendable {
    /// The supervision loop; returns when the calling task is cancelled (recorders keep running).
    func run() async
    /// Make the running recorders match `specs` (level-triggered; called often).
    func reconcile(_ specs: [RecorderSpec]) async
    func statuses() async -> [StationStatus]
    func takeEvents() async -> [AgentEvent]
    func takeSegments() async -> [SegmentRecord]
    /// Files being written now; an archiver must never take them.
    func openSegments() async -> Set<String>
    /// Restart one recorder now; returns once its new segment grows.
    func restartRecorder(station: String, reason: String, timeout: Duration) async throws -> String
    func stopAll() async
    /// Freezes supervision and describes the running recorders for the build about to be exec'd.
    func handOff() async -> [RecorderHandoff]
    /// Resumes supervision after an exec that did not happen.
    func takeBack() async
    /// Recorders handed over by the process this one replaced (adopted at the next reconcile).
    func offerHandoff(_ entries: [RecorderHandoff]) async
}

extension RecorderRuntime {
    public func handOff() async -> [RecorderHandoff] { [] }
    public func takeBack() async {}
    public func offerHandoff(_ entries: [RecorderHandoff]) async {}
}

/// The archive and backup subsystem as the reconciler sees it.
public protocol JobRuntime: Sendable {
    func reconcile(archives: [ArchiveJobSpec], backups: [BackupJobSpec]) async
    /// Start the jobs that are due.
    func tick(now: Date) async
    /// Run a job at once and return its result.
    func runJob(kind: JobRun.Kind, name: String) async throws -> JobRun
    func takeRuns() async -> [JobRun]
    func takeEvents() async -> [AgentEvent]
    func takeArchivedSegments() async -> [SegmentRecord]
    func jobStatuses() async -> [JobStatus]
    func shutdown() async
    /// Names of the jobs running now (an agent upgrade waits until none runs).
    func runningJobs() async -> [String]
}

extension JobRuntime {
    public func runningJobs() async -> [String] { [] }
}
