import FleetInventory
import FleetProtocol
import Foundation

/// One staged rollout of a revision: which nodes take part, in which batch, what each node
/// is served and why. A value type with synchronous methods (`Rollout+Health.swift`,
/// `Rollout+Control.swift`); `Fleet` stores it after every change and serves each node
/// `served(for:)`. Time always arrives as an argument, so tests move the clock.
///
/// ```swift
/// var rollout = RolloutPlanner.start(revision: 7, input: input, now: now)
/// _ = rollout.advance(now: now, isOnline: { _ in true })   // releases the canaries
/// _ = rollout.observe(node: "pi1", report: report, at: now)
/// rollout.statusLine(now: now)   // "canary: waiting for 1 node to be healthy for 2m"
/// ```
struct Rollout: Codable, Sendable, Equatable {
    /// The rollout's state (swift-nio style: every transition is a method below).
    enum State: String, Codable, Sendable {
        case running
        case waitingPromotion = "waiting-promotion"
        case paused
        case succeeded
        case failed
        case reverting
        case reverted
        case revertFailed = "revert-failed"
        case aborted

        /// Whether the rollout may still release nodes or change what they get.
        var isActive: Bool { [.running, .waitingPromotion, .paused, .reverting].contains(self) }
        /// Whether the rollout's decision for nodes it has not released is the new revision.
        var goesForward: Bool { [.running, .waitingPromotion, .succeeded].contains(self) }
    }

    /// One participating node.
    struct Node: Codable, Sendable, Equatable {
        enum State: String, Codable, Sendable {
            case pending, updating, healthy, failed, reverted
            case waitingOffline = "waiting-offline"
        }

        var name: String
        var site: String
        /// 0 is the canary batch when the rollout has canaries.
        var batch: Int
        var state: State = .pending
        var reason: RolloutReason = .waitingTurn
        var detail: String?
        /// What the node was served when the rollout started (kept while not released).
        var before: Assignment
        /// The last assignment the node rolled out healthy with: where a revert goes.
        var lastGood: Assignment
        /// The revision's assignment for the node.
        var target: Assignment
        var minHealthySeconds: Int
        var healthyDeadlineSeconds: Int
        var releasedAt: Date?
        var healthySince: Date?
        /// Restarts per station when the node first reported the new revision, then again
        /// when it settled.
        var baselineRestarts: [String: Int]?
        /// When every recorder of the new revision was first seen `recording`. Before, the
        /// agent may still be restarting recorders for the new configuration: one restart per
        /// recorder, shown as `backing-off` with no error, is the change itself, not a failure.
        var settledAt: Date?
        /// The last seen (segment, bytes) per station, to see segments grow.
        var lastSegments: [String: String]?
        /// When the node last reported while updating (a silence longer than three
        /// heartbeats restarts its healthy time).
        var lastReportAt: Date?
        var revertedAt: Date?
        var revertConfirmed = false
    }

    var revision: Int
    var state: State
    var reason: RolloutReason?
    var detail: String?
    var nodes: [Node]
    var batchCount: Int
    var hasCanary: Bool
    var currentBatch = 0
    var autoPromote: Bool
    var autoRevert: Bool
    var progressDeadlineSeconds: Int
    var startedAt: Date
    var lastProgressAt: Date
    var finishedAt: Date?
    /// Derived from `nodes` (never stored): each node's index by name, and each batch's node
    /// indices, so that a report and a batch decision touch only their node and their batch.
    /// `nodes` keeps its names and batches for the rollout's life.
    private(set) var positions: [String: Int] = [:]
    private(set) var batchMembers: [[Int]] = []

    enum CodingKeys: String, CodingKey {
        case revision, state, reason, detail, nodes, batchCount, hasCanary, currentBatch, autoPromote, autoRevert
        case progressDeadlineSeconds, startedAt, lastProgressAt, finishedAt
    }

    init(revision: Int, state: State, nodes: [Node], batchCount: Int, hasCanary: Bool, autoPromote: Bool,
         autoRevert: Bool, progressDeadlineSeconds: Int, startedAt: Date, lastProgressAt: Date) {
        self.revision = revision
        self.state = state
        self.nodes = nodes
        self.batchCount = batchCount
        self.hasCanary = hasCanary
        self.autoPromote = autoPromote
        self.autoRevert = autoRevert
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.startedAt = startedAt
        self.lastProgressAt = lastProgressAt
        reindex()
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        revision = try c.decode(Int.self, forKey: .revision)
        state = try c.decode(State.self, forKey: .state)
        reason = try c.decodeIfPresent(RolloutReason.self, forKey: .reason)
        detail = try c.decodeIfPresent(String.self, forKey: .detail)
        nodes = try c.decode([Node].self, forKey: .nodes)
        batchCount = try c.decode(Int.self, forKey: .batchCount)
        hasCanary = try c.decode(Bool.self, forKey: .hasCanary)
        currentBatch = try c.decode(Int.self, forKey: .currentBatch)
        autoPromote = try c.decode(Bool.self, forKey: .autoPromote)
        autoRevert = try c.decode(Bool.self, forKey: .autoRevert)
        progressDeadlineSeconds = try c.decode(Int.self, forKey: .progressDeadlineSeconds)
        startedAt = try c.decode(Date.self, forKey: .startedAt)
        lastProgressAt = try c.decode(Date.self, forKey: .lastProgressAt)
        finishedAt = try c.decodeIfPresent(Date.self, forKey: .finishedAt)
        reindex()
    }

    private mutating func reindex() {
        positions = Dictionary(nodes.indices.map { (nodes[$0].name, $0) }, uniquingKeysWith: { first, _ in first })
        batchMembers = Array(repeating: [], count: max(batchCount, (nodes.map(\.batch).max() ?? -1) + 1))
        for index in nodes.indices { batchMembers[nodes[index].batch].append(index) }
    }

    /// The assignment the node must get now; nil when the rollout does not decide for it.
    func served(for name: String) -> Assignment? {
        index(of: name).map { served(nodes[$0]) }
    }

    /// What `node` must get now, by its state and the rollout's.
    func served(_ node: Node) -> Assignment {
        switch node.state {
        case .pending: return node.before
        case .updating, .healthy, .failed: return node.target
        case .reverted: return node.lastGood
        case .waitingOffline: return state.goesForward ? node.target : node.lastGood
        }
    }

    /// Nodes served something other than the revision's assignment, with what they get.
    var held: [String: Assignment] {
        var held: [String: Assignment] = [:]
        for node in nodes {
            let served = served(node)
            if served != node.target { held[node.name] = served }
        }
        return held
    }

    func index(of name: String) -> Int? { positions[name] }

    /// Indices in `nodes` of the nodes of `batch`, in rollout order.
    func memberIndices(of batch: Int) -> [Int] { batchMembers.indices.contains(batch) ? batchMembers[batch] : [] }

    /// Nodes of `batch`, in rollout order.
    func members(of batch: Int) -> [Node] { memberIndices(of: batch).map { nodes[$0] } }

    /// What a report can change that must be stored and published: the rollout's state and
    /// batch, and every node's state (observations such as healthy-since or the last segment
    /// stay in memory: after a restart a node's healthy time starts again).
    struct Milestone: Equatable {
        var state: State
        var reason: RolloutReason?
        var currentBatch: Int
        var finishedAt: Date?
    }

    var milestone: Milestone { Milestone(state: state, reason: reason, currentBatch: currentBatch, finishedAt: finishedAt) }
}

/// Why a node or a rollout is where it is: a stable code for scripts plus a detail for people.
enum RolloutReason: String, Codable, Sendable {
    case waitingTurn = "waiting-turn"
    case released
    case notApplied = "not-applied"
    case recorderNotRecording = "recorder-not-recording"
    case segmentNotGrowing = "segment-not-growing"
    case healthyPending = "healthy-for-min-time-pending"
    case healthy
    case recorderRestarted = "recorder-restarted"
    case recorderFailed = "recorder-failed"
    case jobFailed = "job-failed"
    case agentNotUpgraded = "agent-not-upgraded"
    case agentUpgradeFailed = "agent-upgrade-failed"
    case healthyDeadline = "healthy-deadline"
    case offlineAtRelease = "offline-at-release"
    case autoRevert = "auto-revert"
    case revertNotApplied = "revert-not-applied"
    case progressDeadline = "progress-deadline"
    case nodeFailed = "node-failed"
    case operatorPause = "operator-pause"
    case operatorAbort = "operator-abort"
    case superseded
    case completed
}
