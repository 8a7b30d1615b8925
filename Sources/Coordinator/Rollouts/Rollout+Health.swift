import FleetProtocol
import Foundation

/// Health: a released node is healthy when it reports the revision and, for its
/// `minHealthyTime`, keeps reporting with every recorder `recording`, its segment growing,
/// no restart and no job failure. Deadlines are checked by `tick`.
extension Rollout {
    /// Takes in one report. Returns the nodes whose served assignment changed (wake their watches).
    mutating func observe(node name: String, report: StatusReport, at now: Date) -> [String] {
        guard let index = index(of: name) else { return [] }
        let before = served(for: name)
        switch nodes[index].state {
        case .waitingOffline:
            // Back online: it gets the rollout's decision now.
            if state.goesForward {
                nodes[index].state = .updating
                nodes[index].reason = .released
                nodes[index].detail = "back online"
                nodes[index].releasedAt = now
            } else {
                nodes[index].state = .reverted
                nodes[index].reason = .autoRevert
                nodes[index].detail = "back online after the rollout stopped going forward"
                nodes[index].revertedAt = now
            }
        case .updating:
            judge(index, report: report, now: now)
        case .reverted:
            if report.appliedRevision == nodes[index].lastGood.revision { nodes[index].revertConfirmed = true }
            if state == .reverting && nodes.allSatisfy({ $0.state != .reverted || $0.revertConfirmed }) {
                finish(.reverted, reason: reason, detail: detail, now: now)
            }
        case .pending, .healthy, .failed:
            break
        }
        return served(for: name) == before ? [] : [name]
    }

    private mutating func judge(_ index: Int, report: StatusReport, now: Date) {
        var node = nodes[index]
        defer { nodes[index] = node }
        if let last = node.lastReportAt, now.timeIntervalSince(last) > Double(3 * max(1, node.target.heartbeatSeconds)) {
            node.healthySince = nil
        }
        node.lastReportAt = now
        if judgeAgent(&node, report: report, now: now) { return }
        guard report.appliedRevision >= node.target.revision else {
            node.reason = .notApplied
            node.detail = "reports revision \(report.appliedRevision)"
            node.healthySince = nil
            return
        }
        let restarts = Dictionary(report.stations.map { ($0.station, $0.restarts) }, uniquingKeysWith: { a, _ in a })
        let expected = Set(node.target.recorders.map(\.station))
        let recording = Set(report.stations.filter { $0.state == .recording }.map(\.station))
        if node.settledAt == nil {
            // Settling: the agent reports the revision as applied while it still restarts the
            // recorders whose configuration changed (backing-off meanwhile, one restart each).
            let baseline = node.baselineRestarts ?? restarts
            node.baselineRestarts = baseline
            if let station = report.stations.first(where: { $0.restarts > (baseline[$0.station] ?? $0.restarts) + 1 }) {
                fail(&node, .recorderRestarted, "recorder \(station.station) restarted while starting the new revision", now: now)
                return
            }
            if let station = report.stations.first(where: { $0.state == .stalled || ($0.state == .backingOff && $0.lastError != nil) }) {
                let error = station.lastError.map { ": \($0)" } ?? ""
                fail(&node, .recorderFailed, "recorder \(station.station) \(station.state.rawValue)\(error)", now: now)
                return
            }
            if let missing = expected.subtracting(recording).sorted().first {
                let state = report.stations.first { $0.station == missing }?.state.rawValue ?? "not reported"
                node.reason = .recorderNotRecording
                node.detail = "recorder \(missing) not recording (\(state))"
                node.healthySince = nil
                return
            }
            node.settledAt = now
            node.baselineRestarts = restarts
        }
        let baseline = node.baselineRestarts ?? restarts
        if let station = report.stations.first(where: { $0.restarts > (baseline[$0.station] ?? $0.restarts) }) {
            fail(&node, .recorderRestarted, "recorder \(station.station) restarted", now: now)
            return
        }
        if let station = report.stations.first(where: { $0.state == .stalled || $0.state == .backingOff }) {
            let error = station.lastError.map { ": \($0)" } ?? ""
            fail(&node, .recorderFailed, "recorder \(station.station) \(station.state.rawValue)\(error)", now: now)
            return
        }
        if let releasedAt = node.releasedAt,
           let job = report.jobs.first(where: { ($0.lastFailureAt ?? .distantPast) > releasedAt }) {
            fail(&node, .jobFailed, "job \(job.job) failed\(job.lastError.map { ": \($0)" } ?? "")", now: now)
            return
        }
        if let missing = expected.subtracting(recording).sorted().first {
            node.reason = .recorderNotRecording
            node.detail = "recorder \(missing) not recording"
            node.healthySince = nil
            return
        }
        let segments = Dictionary(report.stations.map { ($0.station, "\($0.currentSegment ?? "")#\($0.currentSegmentBytes ?? 0)#\($0.newestSegment ?? "")") },
                                  uniquingKeysWith: { a, _ in a })
        let previous = node.lastSegments
        node.lastSegments = segments
        if let previous, let still = expected.sorted().first(where: { previous[$0] != nil && previous[$0] == segments[$0] }) {
            node.reason = .segmentNotGrowing
            node.detail = "recorder \(still): segment not growing"
            node.healthySince = nil
            return
        }
        let since = node.healthySince ?? now
        node.healthySince = since
        if now.timeIntervalSince(since) >= Double(node.minHealthySeconds) {
            node.state = .healthy
            node.reason = .healthy
            node.detail = nil
            lastProgressAt = now
        } else {
            node.reason = .healthyPending
            node.detail = nil
        }
    }

    mutating func fail(_ node: inout Node, _ reason: RolloutReason, _ detail: String, now: Date) {
        node.state = .failed
        node.reason = reason
        node.detail = detail
        node.healthySince = nil
        let role = hasCanary && node.batch == 0 ? "canary" : "node"
        if state == .running || state == .waitingPromotion {
            state = .paused
            self.reason = .nodeFailed
            self.detail = "\(role) \(node.name) failed: \(detail)"
        }
        if autoRevert {
            node.state = .reverted
            node.revertedAt = now
            node.revertConfirmed = false
            if state.isActive && state != .reverting {
                state = .reverting
                self.reason = .autoRevert
                self.detail = "\(role) \(node.name) failed: \(detail); returning failed nodes to their last good revision"
            }
        }
    }

    /// Deadlines: a released node not healthy by its `healthyDeadline` fails; no node turning
    /// healthy for `progressDeadline` fails the rollout; a revert not confirmed within the
    /// node's healthy deadline is `revert-failed`. Returns nodes whose served assignment changed.
    mutating func tick(now: Date, isOnline: (String) -> Bool) -> [String] {
        let before = held
        for index in nodes.indices where nodes[index].state == .updating {
            guard let releasedAt = nodes[index].releasedAt,
                  now.timeIntervalSince(releasedAt) > Double(nodes[index].healthyDeadlineSeconds) else { continue }
            var node = nodes[index]
            let why = node.detail.map { " (\(node.reason.rawValue): \($0))" } ?? " (\(node.reason.rawValue))"
            fail(&node, .healthyDeadline,
                 "not healthy within \(Format.duration(node.healthyDeadlineSeconds))\(why)", now: now)
            nodes[index] = node
        }
        if state == .reverting {
            let late = nodes.first {
                $0.state == .reverted && !$0.revertConfirmed
                    && now.timeIntervalSince($0.revertedAt ?? now) > Double($0.healthyDeadlineSeconds)
            }
            if let late {
                finish(.revertFailed, reason: .revertNotApplied,
                       detail: "\(late.name) did not report revision \(late.lastGood.revision) within \(Format.duration(late.healthyDeadlineSeconds))",
                       now: now)
            }
        }
        if state == .running, now.timeIntervalSince(lastProgressAt) > Double(progressDeadlineSeconds) {
            finish(.failed, reason: .progressDeadline,
                   detail: "no node turned healthy for \(Format.duration(progressDeadlineSeconds))", now: now)
            if autoRevert { revertFailedAndUpdating(now: now) }
        }
        var changed = advance(now: now, isOnline: isOnline)
        let after = held
        for name in Set(before.keys).union(after.keys) where before[name] != after[name] { changed.append(name) }
        return Array(Set(changed)).sorted()
    }

    private mutating func revertFailedAndUpdating(now: Date) {
        for index in nodes.indices where nodes[index].state == .updating || nodes[index].state == .failed {
            nodes[index].state = .reverted
            nodes[index].reason = .autoRevert
            nodes[index].revertedAt = now
        }
    }

    mutating func finish(_ state: State, reason: RolloutReason?, detail: String?, now: Date) {
        self.state = state
        self.reason = reason
        self.detail = detail
        finishedAt = now
    }
}
