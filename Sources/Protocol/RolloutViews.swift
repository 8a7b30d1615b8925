import FoundationEssentials

/// An operator's action on the current rollout (`POST /v1/rollout/{action}`).
///
/// ```swift
/// let view = try await client.call(Endpoints.rolloutControl, RolloutAction.promote.rawValue)
/// ```
public enum RolloutAction: String, Codable, Sendable, CaseIterable {
    case pause, resume, promote, abort
}

/// `GET /v1/rollout`: the current (or last) staged rollout; `rollout` is nil when none was
/// ever started (inventories without a `rollout:` block change every node at once).
///
/// ```json
/// {"rollout": {"revision": 8, "state": "waiting-promotion",
///   "status": "waiting for promotion (canaries healthy: pi1; fleetctl rollout promote)",
///   "nodes": [{"name": "pi1", "site": "auklab", "batch": 0, "canary": true, "state": "healthy", "reason": "healthy"}]}}
/// ```
public struct RolloutStatusResponse: Codable, Sendable, Equatable {
    public var rollout: RolloutStatusView?

    public init(rollout: RolloutStatusView?) { self.rollout = rollout }
}

/// One rollout: its state, what it waits for, and each participating node.
///
/// ```swift
/// let rollout = try await client.call(Endpoints.rollout).rollout
/// print(rollout?.status ?? "no rollout")   // "batch 2/5: waiting for 3 nodes to be healthy for 2m"
/// ```
public struct RolloutStatusView: Codable, Sendable, Equatable {
    /// running, waiting-promotion, paused, succeeded, failed, reverting, reverted, revert-failed, aborted.
    public var state: String
    public var revision: Int
    /// A stable code for the rollout's state (`node-failed`, `progress-deadline`, `superseded`…).
    public var reason: String?
    public var detail: String?
    /// One line saying what the rollout waits for.
    public var status: String
    /// The batch being rolled out, 1-based, counting the canary batch when there is one.
    public var currentBatch: Int
    public var batchCount: Int
    public var hasCanary: Bool
    public var autoPromote: Bool
    public var autoRevert: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var nodes: [RolloutNodeView]

    public init(state: String, revision: Int, reason: String?, detail: String?, status: String, currentBatch: Int,
                batchCount: Int, hasCanary: Bool, autoPromote: Bool, autoRevert: Bool, startedAt: Date,
                finishedAt: Date?, nodes: [RolloutNodeView]) {
        self.state = state
        self.revision = revision
        self.reason = reason
        self.detail = detail
        self.status = status
        self.currentBatch = currentBatch
        self.batchCount = batchCount
        self.hasCanary = hasCanary
        self.autoPromote = autoPromote
        self.autoRevert = autoRevert
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.nodes = nodes
    }
}

/// One node of a rollout: pending, updating, healthy, failed, reverted or waiting-offline, and why.
///
/// ```swift
/// let failed = rollout.nodes.filter { $0.state == "failed" }.map { "\($0.name): \($0.reason)" }
/// // ["pi1: recorder-restarted"]
/// ```
public struct RolloutNodeView: Codable, Sendable, Equatable {
    public var name: String
    public var site: String
    /// 0-based; batch 0 is the canary batch when `canary`.
    public var batch: Int
    public var canary: Bool
    public var state: String
    public var reason: String
    public var detail: String?
    /// The revision of the assignment the node is served now.
    public var servedRevision: Int

    public init(name: String, site: String, batch: Int, canary: Bool, state: String, reason: String, detail: String?,
                servedRevision: Int) {
        self.name = name
        self.site = site
        self.batch = batch
        self.canary = canary
        self.state = state
        self.reason = reason
        self.detail = detail
        self.servedRevision = servedRevision
    }
}
