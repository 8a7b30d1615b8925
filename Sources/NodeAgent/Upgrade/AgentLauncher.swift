import FleetProtocol
import FoundationEssentials
import Glibc

/// The first thing `fleet-agent run` does (docs/agent-upgrades.md, "Launcher"): unless this
/// process was exec'd on purpose (`STATIONFLEET_AGENT_EXEC` set), act on `upgrade.json`: roll a
/// dead trial back, run a committed build, or run the pre-upgrade binary after a rollback.
///
/// ```swift
/// AgentLauncher.run(stateDir: stateDir) { PosixIO.writeError("fleet-agent: \($0)\n") }
/// // returns when this binary is the one to run
/// ```
public enum AgentLauncher {
    public static func run(stateDir: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                           log: (String) -> Void) {
        guard environment[ProcessImage.execVariable] == nil else { return }
        let paths = UpgradePaths(stateDir: stateDir)
        guard var record = UpgradeRecord.load(from: paths.recordPath) else { return }
        let executable = RunningBuild.executablePath
        let decision = LauncherDecision.decide(record: record, executable: executable,
                                               deadlinePassed: record.deadlinePassed())
        let target: String
        switch decision {
        case .continue:
            return
        case .exec(let path):
            target = path
        case .rollback(let reason, let path):
            record.phase = .rolledBack
            record.reason = reason
            record.detail = reason == .notHealthy
                ? "build \(record.build.version) was not healthy within \(record.deadlineSeconds) s (found at agent start)"
                : "build \(record.build.version) ended during its trial (process exit or host restart) before its first acknowledged heartbeat"
            do {
                try record.save(to: paths.recordPath)
            } catch {
                log("cannot write \(paths.recordPath): \(error)")
            }
            log("upgrade to \(record.build.version) rolled back: \(reason.rawValue)")
            guard let path else { return }
            target = path
        }
        log("launcher: running \(target)")
        let code = ProcessImage.exec(path: target, arguments: ProcessImage.arguments(),
                                     environment: [ProcessImage.execVariable: "launcher"])
        log("launcher: cannot exec \(target): \(String(cString: strerror(code))); running this binary")
    }
}
