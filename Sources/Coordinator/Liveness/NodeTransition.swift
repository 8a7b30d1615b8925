import FleetProtocol
import Foundation

/// A change in a node's life as the coordinator sees it: the heartbeat tracker's output,
/// stored as an event (`fleetctl describe node` lists them) and published to consumers
/// such as alert evaluation and rollout health.
public struct NodeTransition: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The node registered and got a credential.
        case registered
        /// First heartbeat, or a heartbeat after it was missed or offline.
        case online
        /// No heartbeat for `HeartbeatTracker.missedAfterIntervals` intervals: still counted online.
        case missed
        /// No heartbeat for `HeartbeatTracker.offlineAfterIntervals` intervals.
        case offline
        /// An operator revoked the node's credential.
        case reset
        /// An operator removed a node the inventory does not list.
        case deleted
    }

    public var node: String
    public var kind: Kind
    public var at: Date
    public var message: String

    public init(node: String, kind: Kind, at: Date, message: String) {
        self.node = node
        self.kind = kind
        self.at = at
        self.message = message
    }

    /// The event kind under which the transition is stored, e.g. `node.offline`.
    public var eventKind: String { "node.\(kind.rawValue)" }

    /// The transition as a stored event of its node.
    var event: AgentEvent {
        AgentEvent(time: at, kind: eventKind, message: message)
    }
}

extension NodeTransition.Kind {
    /// Whether heartbeats decide it (online, missed, offline), not an operator or a registration.
    var isLiveness: Bool { [.online, .missed, .offline].contains(self) }
}
