import FleetProtocol
import Foundation

/// Node liveness from heartbeats, in the manner of Nomad's heartbeater: every heartbeat
/// pushes the node's deadlines out; a node silent for two intervals is *missed* (still
/// online), for three it is *offline*. Each change is a `NodeTransition`.
///
/// Deadlines sit in a heap, so `tick(now:)` touches only the nodes that are due.
///
/// ```swift
/// var tracker = HeartbeatTracker()
/// _ = tracker.heartbeat(node: "pi1", at: Date(), intervalSeconds: 10)
/// let changes = tracker.tick(now: Date().addingTimeInterval(31))  // [pi1 missed, pi1 offline]
/// ```
struct HeartbeatTracker {
    enum Phase: Equatable, Sendable {
        case online
        case missed
        case offline
    }

    struct Record: Equatable, Sendable {
        var lastHeartbeat: Date
        var intervalSeconds: Int
        var phase: Phase
    }

    static let missedAfterIntervals = 2.0
    static let offlineAfterIntervals = 3.0

    private(set) var records: [String: Record] = [:]
    /// Added to both limits: how late a heartbeat another coordinator took may arrive here
    /// (shared liveness: its flush plus this instance's pull). 0 for a single coordinator.
    private(set) var syncGrace: TimeInterval = 0
    private var deadlines = DeadlineQueue<String>()

    /// Restores a node from its stored snapshot without emitting a transition.
    mutating func restore(node: String, lastHeartbeat: Date, intervalSeconds: Int, now: Date) {
        var record = Record(lastHeartbeat: lastHeartbeat, intervalSeconds: intervalSeconds, phase: .online)
        let silent = now.timeIntervalSince(lastHeartbeat)
        if silent > offlineAfter(record) {
            record.phase = .offline
        } else if silent > missedAfter(record) {
            record.phase = .missed
        }
        records[node] = record
        scheduleNext(node, record)
    }

    /// Sets `syncGrace` and re-places the nodes already known under the new limits, silently.
    mutating func setSyncGrace(_ grace: TimeInterval, now: Date) {
        syncGrace = grace
        for (node, record) in records {
            restore(node: node, lastHeartbeat: record.lastHeartbeat, intervalSeconds: record.intervalSeconds, now: now)
        }
    }

    /// Takes in a heartbeat another coordinator received (its stored snapshot). Only a newer
    /// heartbeat than this instance knows moves the node, so every instance ends on the newest
    /// one (the maximum over instances) whatever order rows arrive in. Returns `.online` when
    /// that brings the node back from missed or offline, like a heartbeat received here.
    mutating func merge(node: String, lastHeartbeat: Date, intervalSeconds: Int, now: Date) -> NodeTransition? {
        let previous = records[node]
        if let previous, previous.lastHeartbeat >= lastHeartbeat { return nil }
        restore(node: node, lastHeartbeat: lastHeartbeat, intervalSeconds: max(1, intervalSeconds), now: now)
        // A node first heard of here registered at the other instance (which stores that).
        guard let previous, previous.phase != .online, records[node]?.phase == .online else { return nil }
        let silent = Int(lastHeartbeat.timeIntervalSince(previous.lastHeartbeat).rounded())
        return NodeTransition(node: node, kind: .online, at: lastHeartbeat,
                              message: "heartbeat again after \(silent)s via another coordinator "
                                  + "(\(previous.phase == .offline ? "was offline" : "had missed heartbeats"))")
    }

    /// Records a heartbeat. Returns `.online` when the node was unknown, missed or offline.
    mutating func heartbeat(node: String, at time: Date, intervalSeconds: Int) -> NodeTransition? {
        let previous = records[node]
        let record = Record(lastHeartbeat: time, intervalSeconds: max(1, intervalSeconds), phase: .online)
        records[node] = record
        scheduleNext(node, record)
        guard let previous else {
            return NodeTransition(node: node, kind: .online, at: time, message: "first heartbeat")
        }
        guard previous.phase != .online else { return nil }
        let silent = Int(time.timeIntervalSince(previous.lastHeartbeat).rounded())
        return NodeTransition(node: node, kind: .online, at: time,
                              message: "heartbeat again after \(silent)s (\(previous.phase == .offline ? "was offline" : "had missed heartbeats"))")
    }

    /// Moves every due node to its next phase and returns the transitions, oldest first.
    mutating func tick(now: Date) -> [NodeTransition] {
        var transitions: [NodeTransition] = []
        for node in deadlines.popDue(now: now) {
            guard var record = records[node] else { continue }
            let silent = now.timeIntervalSince(record.lastHeartbeat)
            switch record.phase {
            case .online where silent > offlineAfter(record):
                record.phase = .offline
            case .online:
                record.phase = .missed
            case .missed:
                record.phase = .offline
            case .offline:
                continue
            }
            records[node] = record
            scheduleNext(node, record)
            let limit = Int(record.phase == .offline ? offlineAfter(record) : missedAfter(record))
            let verb = record.phase == .offline ? "offline" : "missed"
            transitions.append(NodeTransition(
                node: node, kind: record.phase == .offline ? .offline : .missed, at: now,
                message: "no heartbeat for \(Int(silent))s (\(verb) after \(limit)s, heartbeat every \(record.intervalSeconds)s)"))
        }
        return transitions
    }

    /// The node's liveness as the API shows it: a missed heartbeat still counts online.
    func state(of node: String) -> NodeState? {
        guard let record = records[node] else { return nil }
        return record.phase == .offline ? .offline : .online
    }

    func lastHeartbeat(of node: String) -> Date? { records[node]?.lastHeartbeat }

    /// Forgets a node (deleted from the fleet).
    mutating func forget(_ node: String) {
        records[node] = nil
        deadlines.cancel(node)
    }

    private mutating func scheduleNext(_ node: String, _ record: Record) {
        switch record.phase {
        case .online: deadlines.schedule(node, at: record.lastHeartbeat.addingTimeInterval(missedAfter(record)))
        case .missed: deadlines.schedule(node, at: record.lastHeartbeat.addingTimeInterval(offlineAfter(record)))
        case .offline: deadlines.cancel(node)
        }
    }

    private func missedAfter(_ record: Record) -> TimeInterval {
        Double(record.intervalSeconds) * Self.missedAfterIntervals + syncGrace
    }

    private func offlineAfter(_ record: Record) -> TimeInterval {
        Double(record.intervalSeconds) * Self.offlineAfterIntervals + syncGrace
    }
}
