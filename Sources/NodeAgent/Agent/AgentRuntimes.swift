import Foundation
import Logging

/// Builds the subsystems the reconciler drives.
public enum AgentRuntimes {
    public static func make(configuration: AgentConfiguration, logger: Logger) throws
        -> (recorders: (any RecorderRuntime)?, jobs: (any JobRuntime)?) {
        (nil, nil)
    }
}
