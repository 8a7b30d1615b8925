import Foundation
import Logging

/// Builds the subsystems the reconciler drives, with their files under the state dir:
/// `recorders/` (pid files), `logs/` (ffmpeg logs), `ledger.sqlite` (archive ledger and
/// job state) and `tmp/` (SQLite backup snapshots before compression).
public enum AgentRuntimes {
    public static func make(configuration: AgentConfiguration, logger: Logger) throws
        -> (recorders: (any RecorderRuntime)?, jobs: (any JobRuntime)?) {
        let state = configuration.stateDir as NSString
        try FileManager.default.createDirectory(atPath: configuration.stateDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let recorders = RecorderSupervisor(
            configuration: .init(ffmpegPath: configuration.ffmpegPath, ffprobePath: configuration.ffprobePath,
                                 stateDir: state.appendingPathComponent("recorders"),
                                 logDir: state.appendingPathComponent("logs")),
            logger: logger)
        var archive = ArchiveConfiguration()
        archive.ffmpegPath = configuration.ffmpegPath
        let jobs = try JobRunner(
            ledgerPath: state.appendingPathComponent("ledger.sqlite"), nodeName: configuration.name,
            tempDir: state.appendingPathComponent("tmp"), logger: logger,
            configuration: .init(archive: archive, maxRandomDelaySeconds: configuration.maxJobDelaySeconds),
            openFiles: { await recorders.openSegments() })
        return (recorders, jobs)
    }
}
