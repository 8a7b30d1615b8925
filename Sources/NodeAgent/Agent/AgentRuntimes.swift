import FleetProtocol
import FoundationEssentials
import Logging

/// Builds the subsystems the reconciler drives, with their files under the state dir:
/// `recorders/` (pid files), `logs/` (ffmpeg logs), `ledger.sqlite` (archive ledger and
/// job state) and `tmp/` (SQLite backup snapshots before compression).
public enum AgentRuntimes {
    /// The recorders' log folder (`recorder-STATION.log`), read by `fleetctl logs station`.
    public static func logDir(stateDir: String) -> String {
        stateDir.pathJoining("logs")
    }

    public static func make(configuration: AgentConfiguration, logger: Logger) throws
        -> (recorders: (any RecorderRuntime)?, jobs: (any JobRuntime)?) {
        let state = configuration.stateDir
        try FileManager.default.createDirectory(atPath: configuration.stateDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let recorders = RecorderSupervisor(
            configuration: .init(ffmpegPath: configuration.ffmpegPath, ffprobePath: configuration.ffprobePath,
                                 stateDir: state.pathJoining("recorders"),
                                 logDir: logDir(stateDir: configuration.stateDir)),
            logger: logger)
        var archive = ArchiveConfiguration()
        archive.ffmpegPath = configuration.ffmpegPath
        // Recording never depends on the archive's bookkeeping: a ledger that cannot be opened
        // even afresh (read-only disk) fails the jobs, not the agent.
        let jobs: any JobRuntime
        do {
            jobs = try JobRunner(
                ledgerPath: state.pathJoining("ledger.sqlite"), nodeName: configuration.name,
                tempDir: state.pathJoining("tmp"), logger: logger,
                configuration: .init(archive: archive, maxRandomDelaySeconds: configuration.maxJobDelaySeconds),
                openFiles: { await recorders.openSegments() })
        } catch {
            logger.error("archive ledger cannot be opened; archive and backup jobs will fail, recording continues",
                         metadata: ["error": "\(error)"])
            jobs = UnavailableJobs(reason: "\(error)")
        }
        return (recorders, jobs)
    }
}
