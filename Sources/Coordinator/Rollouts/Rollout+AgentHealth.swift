import FleetProtocol
import Foundation

/// Health of an agent upgrade: a released node whose assignment has an ``AgentTarget`` is
/// healthy only when it reports running `target.version`; a report that the agent rolled the
/// upgrade back (or could not use the build) fails the node at once with `agent-upgrade-failed`.
extension Rollout {
    /// What the report says about the node's agent upgrade.
    enum AgentVerdict: Equatable {
        /// No agent target, or the node runs the wanted version.
        case upgraded
        /// Not there yet (downloading, in trial, or not started): not healthy.
        case pending(String)
        /// The agent rolled back or could not use the wanted build.
        case failed(String)
    }

    static func agentVerdict(target: Assignment, report: StatusReport) -> AgentVerdict {
        guard let wanted = target.agent else { return .upgraded }
        if let upgrade = report.agentUpgrade, upgrade.version == wanted.version,
           upgrade.state == .rolledBack || upgrade.state == .failed {
            let why = upgrade.reason.map { " (\($0.rawValue))" } ?? ""
            let detail = upgrade.detail.map { ": \($0)" } ?? ""
            return .failed("agent \(wanted.version) \(upgrade.state.rawValue)\(why)\(detail)")
        }
        if report.agentVersion == wanted.version { return .upgraded }
        var progress = ""
        if let upgrade = report.agentUpgrade, upgrade.version == wanted.version {
            switch upgrade.state {
            case .downloading:
                let done = upgrade.bytesDone.map(Self.megabytes) ?? "?"
                let total = upgrade.bytesTotal.map(Self.megabytes) ?? "?"
                progress = "; downloading (\(done) of \(total) MB)"
            case .trial:
                progress = "; trying the new build"
            case .rolledBack, .failed:
                break
            }
        }
        return .pending("runs agent \(report.agentVersion), wants \(wanted.version)\(progress)")
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f", Double(bytes) / 1_000_000)
    }

    /// The agent part of judging an updating node. Returns true when it decided the report:
    /// the node failed, or (once it applied the revision) it does not run the wanted agent yet.
    mutating func judgeAgent(_ node: inout Node, report: StatusReport, now: Date) -> Bool {
        switch Self.agentVerdict(target: node.target, report: report) {
        case .upgraded:
            return false
        case .failed(let detail):
            fail(&node, .agentUpgradeFailed, detail, now: now)
            return true
        case .pending(let detail):
            guard report.appliedRevision >= node.target.revision else { return false }
            node.reason = .agentNotUpgraded
            node.detail = detail
            node.healthySince = nil
            return true
        }
    }
}
