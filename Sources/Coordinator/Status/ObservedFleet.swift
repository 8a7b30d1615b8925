import FleetProtocol
import Foundation

/// What the nodes last said about themselves: agent version, applied revision and the
/// standing part of their last report (recorders, storage, jobs; one-shot items such as
/// events and segments go to the store instead). Changed nodes are flushed to the store
/// as snapshots every couple of seconds.
///
/// ```swift
/// var observed = ObservedFleet()
/// let changes = observed.record(node: "pi1", report: report)   // stations whose state changed
/// let dirty = observed.takeDirty()                              // names to snapshot
/// ```
struct ObservedFleet {
    struct Node: Sendable, Equatable {
        var agentVersion: String
        var appliedRevision: Int
        var report: StatusReport
    }

    private(set) var nodes: [String: Node] = [:]
    private var dirty: Set<String> = []

    subscript(node: String) -> Node? { nodes[node] }

    mutating func restore(node: String, agentVersion: String, appliedRevision: Int, report: StatusReport) {
        nodes[node] = Node(agentVersion: agentVersion, appliedRevision: appliedRevision, report: report)
    }

    /// Takes a report's standing part and returns the recorder states that changed.
    mutating func record(node: String, report: StatusReport) -> [StationStateChange] {
        var standing = report
        standing.events = []
        standing.segments = []
        standing.jobRuns = []
        standing.commandResults = []
        let before = nodes[node]?.report.stations ?? []
        nodes[node] = Node(agentVersion: report.agentVersion, appliedRevision: report.appliedRevision, report: standing)
        dirty.insert(node)
        var changes: [StationStateChange] = []
        for status in standing.stations {
            let old = before.first { $0.station == status.station }?.state
            if old != status.state {
                changes.append(StationStateChange(node: node, station: status.station, from: old, to: status.state))
            }
        }
        return changes
    }

    /// A newer report another coordinator received (its stored snapshot): replaces the node's
    /// standing report without marking it for this instance's flush. Returns the recorder
    /// states that changed.
    mutating func adopt(node: String, agentVersion: String, appliedRevision: Int, report: StatusReport) -> [StationStateChange] {
        let before = nodes[node]?.report.stations ?? []
        nodes[node] = Node(agentVersion: agentVersion, appliedRevision: appliedRevision, report: report)
        return report.stations.compactMap { status in
            let old = before.first { $0.station == status.station }?.state
            return old == status.state ? nil : StationStateChange(node: node, station: status.station, from: old, to: status.state)
        }
    }

    /// A node that registered before it reported.
    mutating func registered(node: String, agentVersion: String) {
        let previous = nodes[node]
        nodes[node] = Node(
            agentVersion: agentVersion, appliedRevision: previous?.appliedRevision ?? 0,
            report: previous?.report ?? StatusReport(agentVersion: agentVersion, uptimeSeconds: 0, appliedRevision: 0))
        dirty.insert(node)
    }

    mutating func forget(_ node: String) {
        nodes[node] = nil
        dirty.remove(node)
    }

    mutating func takeDirty() -> Set<String> {
        defer { dirty.removeAll() }
        return dirty
    }

    mutating func markDirty(_ names: Set<String>) { dirty.formUnion(names) }
}

/// A recorder whose reported state changed between two heartbeats.
public struct StationStateChange: Sendable, Equatable {
    public var node: String
    public var station: String
    /// `nil` when the station was not reported before.
    public var from: RecorderState?
    public var to: RecorderState
}
