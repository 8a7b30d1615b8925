import FleetProtocol
import Foundation

/// One change in the fleet's observed or desired state, published by `Fleet` to every
/// subscriber (alert evaluation, rollout health, the dashboard's live updates) so that
/// none of them polls the store.
public enum FleetChange: Sendable, Equatable {
    /// A node reported; `report` is its standing state (no one-shot items).
    case nodeReported(node: String, report: StatusReport, at: Date)
    /// A node registered, came online, missed heartbeats, went offline or was reset.
    case nodeTransition(NodeTransition)
    /// A recorder's reported state changed.
    case stationState(StationStateChange)
    /// Events a node reported (stored before publication).
    case events(node: String, [AgentEvent])
    /// Closed segments a node reported (stored, merged, before publication).
    case segments(node: String, [SegmentRecord])
    /// Finished archive and backup runs a node reported.
    case jobRuns(node: String, [JobRun])
    /// A command was queued, completed or expired.
    case command(CommandView)
    /// A new inventory revision was committed; `nodes` are those whose assignment changed.
    case revision(Int, nodes: [String])
    /// The current rollout changed state; `failure` is set while a failure stops it
    /// (RolloutFailed), nil when it runs, waits, succeeded, was resumed or aborted.
    case rollout(revision: Int, failure: String?)
}
