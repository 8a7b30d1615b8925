import FleetProtocol
import Foundation
import Logging

/// The coordinator's fleet: the one entry point the HTTP API calls. It owns no rules of its
/// own; it composes small parts, each the single owner of its state, and keeps them and
/// the store in step:
///
/// - `DesiredStateBook` (`Desired/`): revisions, compiled inventory, per-node assignments;
/// - `NodeRegistry` (`Nodes/`): credentials;
/// - `HeartbeatTracker` (`Liveness/`): online → missed → offline, as `NodeTransition`s;
/// - `ObservedFleet` (`Status/`): what nodes last reported;
/// - `WatchRegistry` (`Watches/`): parked long-polls;
/// - `CommandQueue` (`Commands/`): open commands with at-least-once delivery.
///
/// Everything agents report flows through `heartbeat(node:report:)` (the status pipeline):
/// durable items are stored first, then observed state is updated and the changes are
/// published on `changes` for alerting, rollouts and the dashboard.
///
/// ```swift
/// let fleet = Fleet(store: try SQLiteFleetStore(path: path), logger: logger, metrics: CoordinatorMetrics())
/// try await fleet.load()
/// let updates = fleet.changes.subscribe()
/// _ = try await fleet.apply(files: [.init(name: "fleet.yaml", content: yaml)], dryRun: false)
/// ```
public actor Fleet {
    let store: any FleetStore
    let logger: Logger
    let metrics: CoordinatorMetrics
    /// Heartbeat interval for nodes without an assignment.
    let defaultHeartbeatSeconds: Int
    /// How long a watch is held at most.
    let maxWatch: Duration = .seconds(WatchLimits.maxSeconds)
    /// Changes to observed and desired state, for consumers.
    public nonisolated let changes = ChangeFeed()

    var book = DesiredStateBook()
    var applyGate = SerialGate()
    var registry = NodeRegistry()
    var tracker = HeartbeatTracker()
    var observed = ObservedFleet()
    /// Each node's last full status and its sequence, for delta heartbeats (Fleet+StatusDelta.swift).
    var statusBases: [String: StatusBase] = [:]
    var watches = WatchRegistry()
    var commands = CommandQueue()
    /// Remote logs and snapshots held here (RemoteOutput/).
    var remoteOutput = RemoteOutputBook()
    /// The current (or last) staged rollout; nil when none was ever started.
    var rollout: Rollout?
    /// A node of the rollout changed state (say, turned healthy) without changing what anyone
    /// is served; the next `tick` stores the rollout (one save for many such changes).
    var rolloutUnsaved = false
    var reportLimiter = Fleet.makeReportLimiter()
    /// Bounds the warnings about report items outside a node's assignment.
    var droppedItemsLog = DroppedItemsLog()
    /// Registrations across the whole fleet: a burst of 20, then one every 2 s.
    var registrationLimiter = TokenBucket(capacity: 20, refillPerSecond: Fleet.defaultRegistrationRate)
    /// Registrations per second by default: a burst of 20, then one every 2 s.
    public static let defaultRegistrationRate = 0.5

    /// Accepts `perSecond` registrations per second, after a burst of 20 or ten seconds'
    /// worth, whichever is more (`--registration-rate`, for onboarding many stations at once).
    public func setRegistrationRate(_ perSecond: Double) {
        registrationLimiter = TokenBucket(capacity: max(20, perSecond * 10), refillPerSecond: perSecond)
    }
    /// Store lookups of node tokens the registry does not know: misses remembered, rate-limited.
    var credentialLookups = CredentialLookups()
    /// Whether unknown names may register.
    let registration: RegistrationPolicy
    /// The last write condition (full, read-only) the store reported; nil when writable.
    var storeCondition: StoreError?
    /// Whether an apply checks alert receivers' credential files on this host (`.require` in service).
    let secretFiles: SecretFileCheck
    /// The published agent builds an inventory's `agentVersion` may name; nil: none can be.
    let agentBuilds: AgentBuildStore?
    /// The leader seam (Fleet+Leadership.swift); nil: this coordinator is the only one and always leads.
    var leadership: Leadership?
    /// The leader term rollouts and pruning last ran under; nil while this instance does not lead.
    var drivingTerm: Int64?
    /// This instance's id on the snapshots it writes when several coordinators share the store
    /// (Fleet+SharedLiveness.swift); nil: a single coordinator, nothing to pull.
    var livenessWriter: String?
    /// Where the next pull of other instances' snapshots starts (the store's clock).
    var snapshotCursor: Date?
    /// Whether the last pull failed (logged once until one succeeds).
    var snapshotPullFailing = false
    /// How this instance announces its changes to the other coordinators on the store
    /// (Fleet+StoreChanges.swift); nil: it is the only one.
    var storeFeed: (any StoreChangeFeed)?
    /// The token files whose join token the coordinators on the store share
    /// (Fleet+JoinToken.swift); nil: this coordinator's join token is its own.
    var sharedSecrets: CoordinatorSecrets?
    /// Whether the node-count gauges wait for a recount (`refreshNodeGauges`).
    var nodeGaugesStale = false

    public init(store: any FleetStore, logger: Logger, metrics: CoordinatorMetrics, defaultHeartbeatSeconds: Int = 10,
                registration: RegistrationPolicy = .open, secretFiles: SecretFileCheck = .require,
                agentBuilds: AgentBuildStore? = nil) {
        self.agentBuilds = agentBuilds
        self.store = store
        self.secretFiles = secretFiles
        self.registration = registration
        self.logger = logger
        self.metrics = metrics
        self.defaultHeartbeatSeconds = defaultHeartbeatSeconds
    }

    /// Loads desired state, credentials, snapshots and open commands from the store.
    public func load() async throws {
        try await store.migrate()
        if let stored = try await store.loadDesiredState() {
            do {
                let desired = try WireCoding.decode(DesiredState.self, from: stored.desired)
                book.restore(revision: stored.revision, desired: desired, assignments: stored.assignments)
            } catch {
                throw StoreError.corrupt("desired state of revision \(stored.revision): \(error)")
            }
        }
        registry = NodeRegistry(try await store.credentials())
        let now = Date()
        for snapshot in try await store.loadSnapshots() {
            tracker.restore(node: snapshot.name, lastHeartbeat: snapshot.lastHeartbeat,
                            intervalSeconds: heartbeatSeconds(of: snapshot.name), now: now)
            observed.restore(node: snapshot.name, agentVersion: snapshot.agentVersion,
                             appliedRevision: snapshot.appliedRevision, report: snapshot.report)
        }
        commands = CommandQueue(try await store.commands(inStates: CommandView.State.open))
        try await loadRollout()
        metrics.revision.record(book.revision)
        updateNodeGauges()
        logger.info("fleet loaded", metadata: ["revision": "\(book.revision)", "nodes": "\(book.assignments.count)",
                                               "registered": "\(registry.count)"])
    }

    func heartbeatSeconds(of node: String) -> Int {
        book.assignments[node]?.heartbeatSeconds ?? defaultHeartbeatSeconds
    }

    /// Housekeeping, called a few times a second: moves silent nodes to missed and offline
    /// (stored as node events and published), releases expired watches and re-queues or
    /// expires commands. Each part touches only what is due.
    public func tick(now: Date = Date()) async {
        let transitions = tracker.tick(now: now)
        defer { if nodeGaugesStale { updateNodeGauges() } }
        watches.expire(now: now)
        await expireCommands(now: now)
        remoteOutput.expire(now: now) { commands.command(id: $0) != nil }
        await followLeadership()
        if drives { await rolloutTick(now: now) }
        guard !transitions.isEmpty else { return }
        for transition in transitions {
            let level: Logger.Level = transition.kind == .offline ? .warning : .notice
            logger.log(level: level, "node \(transition.kind.rawValue)",
                       metadata: ["node": "\(transition.node)", "detail": "\(transition.message)"])
        }
        refreshNodeGauges()
        await recordTransitions(transitions)
    }

    /// Stores transitions as events of their nodes, then publishes them. With shared liveness,
    /// liveness transitions (online, missed, offline) every instance computes alike: only the
    /// leader stores them, so each is stored once (Fleet+SharedLiveness.swift). A single
    /// coordinator stores all, leader or not (after a crash it waits out its old lease).
    func recordTransitions(_ transitions: [NodeTransition]) async {
        let stored = drives || livenessWriter == nil ? transitions : transitions.filter { !$0.kind.isLiveness }
        for (node, group) in Dictionary(grouping: stored, by: \.node) {
            do {
                try await store.recordEvents(group.map(\.event), node: node)
            } catch {
                logger.error("cannot store node events", metadata: ["node": "\(node)", "error": "\(error)"])
            }
        }
        changes.publish(transitions.map(FleetChange.nodeTransition))
    }

    /// How long events, job runs and finished commands are kept.
    static let historyRetention: TimeInterval = 90 * 24 * 3600

    /// Deletes history older than `historyRetention`; the recordings catalog stays.
    public func pruneHistory(now: Date = Date()) async {
        guard drives else { return }  // the leader prunes
        do {
            let removed = try await store.pruneHistory(before: now.addingTimeInterval(-Self.historyRetention),
                                                       keepingCommandStates: CommandView.State.open)
            if removed > 0 { logger.info("old history pruned", metadata: ["rows": "\(removed)"]) }
        } catch {
            logger.error("cannot prune history", metadata: ["error": "\(error)"])
        }
    }

    /// Writes changed node snapshots to the store.
    public func flushSnapshots() async {
        let names = observed.takeDirty()
        let snapshots = names.compactMap { name -> NodeSnapshot? in
            guard let node = observed[name], let lastHeartbeat = tracker.lastHeartbeat(of: name) else { return nil }
            return NodeSnapshot(name: name, lastHeartbeat: lastHeartbeat, agentVersion: node.agentVersion,
                                appliedRevision: node.appliedRevision, report: node.report)
        }
        do {
            try await store.saveSnapshots(snapshots, writer: livenessWriter ?? "")
            if !snapshots.isEmpty { noteStore(nil) }
        } catch {
            observed.markDirty(names)
            noteStore(error)
            if storeCondition == nil { logger.error("cannot save node snapshots", metadata: ["error": "\(error)"]) }
        }
    }

    /// Readiness for `/readyz`: nil when ready, else the reason. Probes the store with a
    /// small write, so a full or read-only disk shows here and clears by itself.
    public func readiness() async -> String? {
        do {
            try await store.ping()
            noteStore(nil)
            return nil
        } catch {
            noteStore(error)
            return "\(error)"
        }
    }

    /// Tracks the store's write condition: logs and counts each change once, keeps the gauge.
    func noteStore(_ error: (any Error)?) {
        let condition = (error as? StoreError).flatMap { $0.isWriteCondition ? $0 : nil }
        guard !StoreError.sameCondition(condition, storeCondition) else { return }
        if let condition {
            logger.critical("store cannot write; requests that store data answer 507/503 until it recovers",
                            metadata: ["reason": "\(condition)"])
        } else if let previous = storeCondition {
            logger.notice("store writable again", metadata: ["was": "\(previous)"])
        }
        storeCondition = condition
        metrics.setStoreWritable(condition == nil)
    }

    /// Marks the node-count gauges for recounting at the next tick (a quarter second): a count
    /// walks every node, so thousands of nodes coming back online after an outage must not
    /// each pay for one.
    func refreshNodeGauges() { nodeGaugesStale = true }

    /// Recounts online, offline and pending nodes for the gauges.
    func updateNodeGauges() {
        nodeGaugesStale = false
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
        Set(book.assignments.keys).union(registry.names).union(tracker.records.keys)
    }

    func nodeState(_ name: String) -> NodeState {
        guard registry.isRegistered(name), let state = tracker.state(of: name) else { return .pending }
        return state
    }

    /// Liveness of one node.
    public func state(of node: String) -> NodeState { nodeState(node) }
}

extension CommandView.State {
    /// States of a command that still waits for its node.
    static let open: [CommandView.State] = [.pending, .delivered]
}
