import FleetProtocol
import FoundationEssentials

/// The job runner is the agent's archive and backup runtime.
extension JobRunner: JobRuntime {
    public func runJob(kind: JobRun.Kind, name: String) async throws -> JobRun {
        try await runNow(kind: kind, name: name)
    }

    public func runningJobs() async -> [String] {
        running.keys.map { "\($0.kind.rawValue) \($0.name)" }.sorted()
    }

    public func jobStatuses() async -> [JobStatus] {
        statuses(now: Date())
    }
}
