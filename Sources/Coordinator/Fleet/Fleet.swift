import FleetProtocol
import Foundation
import Logging

/// The coordinator's fleet: desired state, node liveness, watches and commands.
///
/// Desired state and credentials are written through to the store before they take
/// effect; liveness lives in memory and is flushed to the store every couple of seconds,
/// so heartbeats stay cheap. Data flows one way: apply → assignments → watches.
public actor Fleet {
    let store: any FleetStore
    let logger: Logger
    let metrics: CoordinatorMetrics
    /// Heartbeat interval for nodes without an assignment.
    let defaultHeartbeatSeconds: Int
    /// How long a watch is held at most.
    let maxWatch: Duration = .seconds(30)

    var revision = 0
    /// The compiled inventory of the current revision; `siteByNode` indexes it.
    var desired: DesiredState? {
        didSet { siteByNode = Dictionary(desired?.nodes.map { ($0.name, $0.site) } ?? [], uniquingKeysWith: { first, _ in first }) }
    }
    var siteByNode: [String: String] = [:]
    var assignments: [String: Assignment] = [:]
    var nodeByTokenHash: [String: String] = [:]
    var tokenHashByNode: [String: String] = [:]
    var live: [String: NodeLiveness] = [:]
    var dirtySnapshots: Set<String> = []
    var openCommands: [String: CommandView] = [:]
    var deliveredAt: [String: Date] = [:]
    var watchers: [String: [UUID: Watcher]] = [:]
    var applying = false
    var draining = false
    var openWatchCount = 0
    var applyWaiters: [CheckedContinuation<Void, Never>] = []

    public init(store: any FleetStore, logger: Logger, metrics: CoordinatorMetrics, defaultHeartbeatSeconds: Int = 10) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.defaultHeartbeatSeconds = defaultHeartbeatSeconds
    }

    /// Loads desired state, credentials, snapshots and open commands from the store.
    public func load() async throws {
        try await store.migrate()
        if let stored = try await store.loadDesiredState() {
            revision = stored.revision
            assignments = stored.assignments
            do {
                desired = try WireCoding.decode(DesiredState.self, from: stored.desired)
            } catch {
                throw StoreError.corrupt("desired state of revision \(stored.revision): \(error)")
            }
        }
        for credential in try await store.credentials() {
            nodeByTokenHash[credential.tokenHash] = credential.name
            tokenHashByNode[credential.name] = credential.tokenHash
        }
        let now = Date()
        for snapshot in try await store.loadSnapshots() {
            let timeout = Double(heartbeatSeconds(of: snapshot.name) * 3)
            let state: NodeState = now.timeIntervalSince(snapshot.lastHeartbeat) > timeout ? .offline : .online
            live[snapshot.name] = NodeLiveness(lastHeartbeat: snapshot.lastHeartbeat, agentVersion: snapshot.agentVersion,
                                               appliedRevision: snapshot.appliedRevision, report: snapshot.report, state: state)
        }
        for command in try await store.openCommands() { openCommands[command.id] = command }
        metrics.revision.record(revision)
        refreshNodeGauges()
        logger.info("fleet loaded", metadata: ["revision": "\(revision)", "nodes": "\(assignments.count)",
                                               "registered": "\(tokenHashByNode.count)"])
    }

    func heartbeatSeconds(of node: String) -> Int {
        assignments[node]?.heartbeatSeconds ?? defaultHeartbeatSeconds
    }

    /// Housekeeping, called a few times a second: marks silent nodes offline,
    /// releases expired watches and re-queues commands nobody acknowledged.
    public func tick(now: Date = Date()) async {
        for (name, var state) in live where state.state == .online {
            let timeout = Double(heartbeatSeconds(of: name) * 3)
            if now.timeIntervalSince(state.lastHeartbeat) > timeout {
                state.state = .offline
                live[name] = state
                logger.warning("node offline", metadata: ["node": "\(name)",
                    "silentSeconds": "\(Int(now.timeIntervalSince(state.lastHeartbeat)))"])
            }
        }
        expireWatchers(now: now)
        refreshNodeGauges()
        await expireCommands(now: now)
    }

    /// How long events, job runs and finished commands are kept.
    static let historyRetention: TimeInterval = 90 * 24 * 3600

    /// Deletes history older than `historyRetention`; the recordings catalog stays.
    public func pruneHistory(now: Date = Date()) async {
        do {
            let removed = try await store.pruneHistory(before: now.addingTimeInterval(-Self.historyRetention))
            if removed > 0 { logger.info("old history pruned", metadata: ["rows": "\(removed)"]) }
        } catch {
            logger.error("cannot prune history", metadata: ["error": "\(error)"])
        }
    }

    /// Writes changed node snapshots to the store.
    public func flushSnapshots() async {
        let names = dirtySnapshots
        dirtySnapshots.removeAll()
        let snapshots = names.compactMap { name -> NodeSnapshot? in
            guard let state = live[name] else { return nil }
            return NodeSnapshot(name: name, lastHeartbeat: state.lastHeartbeat, agentVersion: state.agentVersion,
                                appliedRevision: state.appliedRevision, report: state.report)
        }
        do {
            try await store.saveSnapshots(snapshots)
        } catch {
            dirtySnapshots.formUnion(names)
            logger.error("cannot save node snapshots", metadata: ["error": "\(error)"])
        }
    }

    func refreshNodeGauges() {
        var online = 0, offline = 0, pending = 0
        for name in allNodes() {
            switch nodeState(name) {
            case .online: online += 1
            case .offline: offline += 1
            case .pending: pending += 1
            }
        }
        metrics.setNodeCounts(online: online, offline: offline, pending: pending)
    }

    /// Every node the inventory names, that registered, or that reported.
    func allNodes() -> Set<String> {
        Set(assignments.keys).union(tokenHashByNode.keys).union(live.keys)
    }

    func nodeState(_ name: String) -> NodeState {
        guard tokenHashByNode[name] != nil, let state = live[name] else { return .pending }
        return state.state
    }

    /// Waits for a running apply to finish, then marks one as running.
    func beginApply() async {
        while applying {
            await withCheckedContinuation { applyWaiters.append($0) }
        }
        applying = true
    }

    func endApply() {
        applying = false
        if !applyWaiters.isEmpty { applyWaiters.removeFirst().resume() }
    }
}

/// What the coordinator knows of a node's life, kept in memory.
struct NodeLiveness: Sendable {
    var lastHeartbeat: Date
    var agentVersion: String
    var appliedRevision: Int
    var report: StatusReport
    var state: NodeState
}

/// A parked long-poll.
struct Watcher {
    var deadline: Date
    var continuation: CheckedContinuation<Void, Never>
}
