import Foundation
import Logging

/// Builds the subsystems the reconciler drives, with their files under the state dir.
public enum AgentRuntimes {
    public static func make(configuration: AgentConfiguration, logger: Logger) throws
        -> (recorders: (any RecorderRuntime)?, jobs: (any JobRuntime)?) {
        let state = configuration.stateDir as NSString
        let recorders = RecorderSupervisor(
            configuration: .init(ffmpegPath: configuration.ffmpegPath, ffprobePath: configuration.ffprobePath,
                                 stateDir: state.appendingPathComponent("recorders"),
                                 logDir: state.appendingPathComponent("logs")),
            logger: logger)
        return (recorders, nil)
    }
}
