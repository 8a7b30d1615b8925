import FleetProtocol
import FoundationEssentials

/// What `fleet-agent run` does first, from `upgrade.json` (docs/agent-upgrades.md, "Launcher").
///
/// Pure: the caller reads the record, resolves its own executable and acts on the answer.
///
/// ```swift
/// switch LauncherDecision.decide(record: record, executable: RunningBuild.executablePath,
///                                deadlinePassed: record?.deadlinePassed() ?? false) {
/// case .continue: break                       // run this binary
/// case .exec(let path): exec(path)            // a committed build, or the pre-upgrade binary
/// case .rollback(let reason, let path): mark rolled-back, then exec(path) unless nil
/// }
/// ```
public enum LauncherDecision: Equatable, Sendable {
    /// Run this binary.
    case `continue`
    /// Exec another binary with the same arguments.
    case exec(String)
    /// A trial died (or the host restarted) mid-trial: record `rolled-back` with `reason`, then run
    /// `path` (nil: this binary is the previous one, continue).
    case rollback(reason: AgentUpgradeStatus.Reason, exec: String?)

    /// - Parameters:
    ///   - record: `upgrade.json`, nil when there is none.
    ///   - executable: the real path of this process's executable.
    ///   - deadlinePassed: whether the record's trial deadline has passed.
    ///   - isExecutable: whether a path names an executable file (a missing build is never exec'd).
    public static func decide(record: UpgradeRecord?, executable: String, deadlinePassed: Bool,
                              isExecutable: (String) -> Bool = { FileManager.default.isExecutableFile(atPath: $0) })
        -> LauncherDecision {
        guard let record else { return .continue }
        let previous = record.previousPath != executable && isExecutable(record.previousPath) ? record.previousPath : nil
        switch record.phase {
        case .trial:
            return .rollback(reason: deadlinePassed ? .notHealthy : .exitedAtStart, exec: previous)
        case .committed:
            guard let path = record.path, path != executable, isExecutable(path) else { return .continue }
            return .exec(path)
        case .rolledBack, .failed:
            return previous.map { .exec($0) } ?? .continue
        }
    }
}
