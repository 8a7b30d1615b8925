import FleetProtocol
import Foundation

/// A node's last full status as this coordinator holds it, for delta heartbeats.
struct StatusBase: Sendable {
    var sequence: Int
    /// Standing status only (queued items were delivered with it).
    var report: StatusReport
    var heardAt: Date
}

extension Fleet {
    /// A heartbeat body: a full report goes through the status pipeline as it is; a delta is
    /// applied to the node's last full status (aged to now) first. Either way the base the
    /// node may send its next delta against comes back in the ack.
    ///
    /// A delta whose base this coordinator does not hold (it restarted, the node failed over
    /// to it, or the node was reset) is refused with 409 `status_base_unknown`, storing
    /// nothing: the agent sends a full report at once.
    public func heartbeat(node: String, body: Heartbeat) async throws -> StatusAck {
        let now = Date()
        let report: StatusReport
        switch body {
        case .full(let full):
            report = full
        case .delta(let delta):
            guard let base = statusBases[node], base.sequence == delta.base else {
                metrics.reportRefused(reason: "base")
                throw FleetError.statusBaseUnknown(
                    "no status \(delta.base) held for node \(node) (this coordinator restarted or the node moved here); send a full report")
            }
            report = delta.applied(to: base.report.aged(by: now.timeIntervalSince(base.heardAt)))
        }
        var ack = try await heartbeat(node: node, report: report)
        if case .delta = body { metrics.heartbeatDeltas.increment() }
        if let sequence = report.sequence {
            if case .delta(let delta) = body, delta.sequence == nil {
                // Nothing changed: the base stays what it was (and keeps ageing from when it was heard).
            } else {
                statusBases[node] = StatusBase(sequence: sequence, report: report.aged(by: 0), heardAt: now)
            }
            ack.statusBase = wantsFullReports(node: node) ? nil : sequence
        } else {
            statusBases[node] = nil
        }
        return ack
    }

    /// A node whose health a staged rollout is judging sends full reports: the rollout reads
    /// a growing segment from every report, which deltas leave out.
    func wantsFullReports(node: String) -> Bool {
        guard let rollout, let index = rollout.index(of: node) else { return false }
        switch rollout.nodes[index].state {
        case .updating, .reverted, .waitingOffline: return true
        case .pending, .healthy, .failed: return false
        }
    }
}
