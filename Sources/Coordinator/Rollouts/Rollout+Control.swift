import FleetProtocol
import Foundation

/// Moving through batches and the operator's controls.
extension Rollout {
    /// Releases the next batch when the current one is done (every node healthy or
    /// `waiting-offline`); stops at the canary batch for promotion unless `autoPromote`.
    /// A node offline when its turn comes is `waiting-offline`. Returns released nodes.
    mutating func advance(now: Date, isOnline: (String) -> Bool) -> [String] {
        var released: [String] = []
        while state == .running {
            let members = memberIndices(of: currentBatch)
            if members.contains(where: { nodes[$0].state == .pending }) {
                for index in members where nodes[index].state == .pending {
                    if isOnline(nodes[index].name) {
                        nodes[index].state = .updating
                        nodes[index].reason = .released
                        nodes[index].releasedAt = now
                        released.append(nodes[index].name)
                    } else {
                        nodes[index].state = .waitingOffline
                        nodes[index].reason = .offlineAtRelease
                    }
                }
                if currentBatch == 0 || !released.isEmpty { lastProgressAt = max(lastProgressAt, now) }
                if !released.isEmpty { return released }
                continue
            }
            let done = members.allSatisfy { nodes[$0].state == .healthy || nodes[$0].state == .waitingOffline }
            guard done else { return released }
            if currentBatch + 1 >= batchCount {
                // Every node offline: nothing has shown the revision works; the rollout keeps
                // running (its nodes waiting offline) until one comes back and turns healthy.
                guard nodes.contains(where: { $0.state == .healthy }) else { return released }
                finish(.succeeded, reason: .completed, detail: nil, now: now)
                return released
            }
            if hasCanary && currentBatch == 0 && !autoPromote {
                state = .waitingPromotion
                reason = nil
                detail = nil
                return released
            }
            currentBatch += 1
            lastProgressAt = now
        }
        return released
    }

    /// `fleetctl rollout promote`: go on after the canaries.
    mutating func promote(now: Date) throws(RolloutControlError) {
        guard state == .waitingPromotion else { throw .notAllowed("promote", state) }
        state = .running
        currentBatch += 1
        lastProgressAt = now
    }

    mutating func pause() throws(RolloutControlError) {
        guard state == .running || state == .waitingPromotion else { throw .notAllowed("pause", state) }
        state = .paused
        reason = .operatorPause
        detail = "paused by an operator"
    }

    /// Resumes a paused rollout: failed nodes of the current batch are tried again (released
    /// anew, their health judged from scratch), the progress deadline restarts.
    mutating func resume(now: Date) throws(RolloutControlError) {
        guard state == .paused else { throw .notAllowed("resume", state) }
        for index in memberIndices(of: currentBatch) where nodes[index].state == .failed {
            nodes[index].state = .updating
            nodes[index].reason = .released
            nodes[index].detail = "retried on resume"
            nodes[index].releasedAt = now
            nodes[index].healthySince = nil
            nodes[index].baselineRestarts = nil
            nodes[index].settledAt = nil
            nodes[index].lastSegments = nil
        }
        state = .running
        reason = nil
        detail = nil
        lastProgressAt = now
    }

    /// Stops the rollout where it is: released nodes keep the new revision, the others keep
    /// what they had (a node waiting offline gets its last good assignment).
    mutating func abort(now: Date, reason: RolloutReason = .operatorAbort, detail: String = "aborted by an operator")
        throws(RolloutControlError) {
        guard state.isActive else { throw .notAllowed("abort", state) }
        finish(.aborted, reason: reason, detail: detail, now: now)
    }

    // MARK: Status


    /// One line saying plainly what the rollout waits for.
    func statusLine(now: Date) -> String {
        switch state {
        case .running:
            let members = self.members(of: currentBatch)
            let waiting = members.filter { $0.state == .updating }
            let phase = hasCanary && currentBatch == 0
                ? "canary" : "batch \(currentBatch + (hasCanary ? 0 : 1))/\(batchCount - (hasCanary ? 1 : 0))"
            let minHealthy = members.map(\.minHealthySeconds).max() ?? 0
            let count = waiting.count
            if count == 0, members.allSatisfy({ $0.state == .waitingOffline || $0.state == .healthy }) {
                let offline = nodes.filter { $0.state == .waitingOffline }.count
                return "\(phase): every node is offline; \(offline) node\(offline == 1 ? "" : "s") waiting offline get revision \(revision) when back online"
            }
            return "\(phase): waiting for \(count) node\(count == 1 ? "" : "s") to be healthy for \(Format.duration(minHealthy))"
        case .waitingPromotion:
            let canaries = hasCanary ? members(of: 0) : []
            let healthy = canaries.filter { $0.state == .healthy }.map(\.name)
            let unjudged = canaries.filter { $0.state != .healthy }.map { "\($0.name) \($0.state.rawValue)" }
            var parts = [healthy.isEmpty ? "no canary healthy yet" : "canaries healthy: \(healthy.joined(separator: ", "))"]
            if !unjudged.isEmpty { parts.append("not judged: \(unjudged.joined(separator: ", "))") }
            return "waiting for promotion (\(parts.joined(separator: "; ")); fleetctl rollout promote)"
        case .paused:
            return "paused: \(detail ?? "by an operator")"
        case .reverting:
            let open = nodes.filter { $0.state == .reverted && !$0.revertConfirmed }.map(\.name)
            return "reverting: \(detail ?? ""); waiting for \(open.joined(separator: ", ")) to report their last good revision"
        case .succeeded:
            let offline = nodes.filter { $0.state == .waitingOffline }.map(\.name)
            return offline.isEmpty ? "succeeded" : "succeeded; \(offline.joined(separator: ", ")) get it when back online"
        case .failed, .reverted, .revertFailed, .aborted:
            return "\(state.rawValue): \(detail ?? reason?.rawValue ?? "")"
        }
    }
}

/// An operator action the rollout's state does not allow.
enum RolloutControlError: Error, Equatable, CustomStringConvertible {
    case notAllowed(String, Rollout.State)
    case noRollout

    var description: String {
        switch self {
        case .notAllowed(let action, let state): return "cannot \(action) a rollout that is \(state.rawValue)"
        case .noRollout: return "no rollout"
        }
    }
}

extension Rollout {
    /// The wire view of this rollout.
    func view(now: Date) -> RolloutStatusView {
        RolloutStatusView(
            state: state.rawValue, revision: revision, reason: reason?.rawValue, detail: detail, status: statusLine(now: now),
            currentBatch: min(currentBatch + 1, batchCount), batchCount: batchCount, hasCanary: hasCanary,
            autoPromote: autoPromote, autoRevert: autoRevert, startedAt: startedAt, finishedAt: finishedAt,
            nodes: nodes.map { node in
                RolloutNodeView(name: node.name, site: node.site, batch: node.batch, canary: hasCanary && node.batch == 0,
                                state: node.state.rawValue, reason: node.reason.rawValue, detail: node.detail,
                                servedRevision: served(for: node.name)?.revision ?? 0)
            })
    }
}
