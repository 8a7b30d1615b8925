import FleetInventory
import FleetProtocol
import Foundation
import Logging

/// Settings of central alerting; the defaults suit production, tests shorten them.
public struct AlertingOptions: Sendable {
    /// How often the rules run over the fleet.
    public var evaluationInterval: Duration
    public var delivery: DeliveryPolicy
    /// The coordinator's URL as receivers should link to it (`externalURL` in webhooks).
    public var externalURL: String
    /// How long resolved alerts, finished notifications and ended silences stay listed.
    public var retention: Duration

    public init(evaluationInterval: Duration = .seconds(1), delivery: DeliveryPolicy = DeliveryPolicy(),
                externalURL: String = "", retention: Duration = .seconds(86_400)) {
        self.evaluationInterval = evaluationInterval
        self.delivery = delivery
        self.externalURL = externalURL
        self.retention = retention
    }
}

/// Central alerting: the coordinator's rules over what nodes report, Alertmanager-style
/// grouping, inhibition, silences and acknowledgements, and a persistent outbox that
/// delivers every notification at least once.
///
/// Data flows one way: `FleetChange`s from `Fleet.changes` keep `FleetFacts` current; every
/// `evaluationInterval` the rules produce the firing set, the `AlertBook` turns it into
/// started/resolved alerts, silences and inhibitions mute some, the `Dispatcher` decides
/// which groups notify, and the alert state and new notifications are stored in one
/// transaction before the outbox sends them.
///
/// ```swift
/// let alerting = Alerting(store: store, logger: logger, metrics: metrics, options: AlertingOptions(),
///                         notifiers: { receiver in NotifierFactory.make(receiver, http: client, logger: logger) })
/// try await alerting.start(fleet: fleet)
/// let firing = await alerting.alertViews(state: .firing)
/// ```
public actor Alerting {
    let store: any FleetStore
    let logger: Logger
    let metrics: CoordinatorMetrics
    let options: AlertingOptions
    let makeNotifier: @Sendable (AlertReceiver) -> any Notifier

    var config: AlertsConfig?
    var facts = FleetFacts()
    var rules = AlertRules(thresholds: AlertThresholds())
    var book = AlertBook()
    var silences = SilenceBook()
    var dispatcher: Dispatcher
    /// Why each firing alert is muted right now (from the last evaluation).
    var mutes: [String: (silencedBy: [String], inhibitedBy: [String])] = [:]
    var gate = SerialGate()
    var knownAlertNames: Set<String> = []
    var lastPrune = Date.distantPast
    /// When this coordinator began watching: nodes are judged on reports received since.
    var startedAt = Date()

    // Delivery state (Alerting+Delivery.swift).
    var pending: [String: OutboxEntry] = [:]
    var inFlight: Set<String> = []
    var receiverDownUntil: [String: Date] = [:]
    var notifiers: [String: (AlertReceiver, any Notifier)] = [:]

    var tasks: [Task<Void, Never>] = []

    /// The leader seam (Alerting+Leadership.swift); nil: this coordinator always evaluates and sends.
    var leadership: Leadership?
    /// The leader term the in-memory alert state and outbox were loaded under; nil while not leader.
    var activeTerm: Int64?

    public init(store: any FleetStore, logger: Logger, metrics: CoordinatorMetrics, options: AlertingOptions = AlertingOptions(),
                notifiers: @escaping @Sendable (AlertReceiver) -> any Notifier) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.options = options
        self.makeNotifier = notifiers
        self.dispatcher = Dispatcher(route: nil, externalURL: options.externalURL)
    }

    /// Loads stored alert state, seeds the facts from `fleet`, and starts evaluating and delivering.
    ///
    /// With `leadership`, rules are evaluated and notifications sent only while this instance
    /// holds the leader lease; each time it gains the lease it reloads alert state, silences
    /// and the pending outbox from the store first.
    public func start(fleet: Fleet, leadership: Leadership? = nil) async throws {
        let changes = fleet.changes.subscribe(buffer: 65_536)
        startedAt = Date()
        self.leadership = leadership
        try await reloadState()
        let seed = await fleet.alertingSeed()
        configure(seed.desired)
        for node in seed.nodes { facts.restore(node: node.name, lastHeartbeat: node.lastHeartbeat, report: node.report) }
        facts.rolloutFailure = seed.rolloutFailure
        logger.info("alerting started", metadata: ["alerts": "\(book.firing.count)", "pending": "\(pending.count)"])

        tasks.append(Task { [weak self] in
            for await change in changes {
                guard let self else { return }
                if case .revision = change {
                    await self.configure(await fleet.alertingSeed().desired)
                } else {
                    await self.take(change)
                }
            }
        })
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                if await self.followLeadership() { await self.evaluate() }
                try? await Task.sleep(for: self.options.evaluationInterval)
            }
        })
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                if await self.followLeadership() { await self.deliverDue() }
                try? await Task.sleep(for: .milliseconds(200))
            }
        })
    }

    /// Stops the loops (sends in flight finish or are retried after the next start).
    public func stop() {
        for task in tasks { task.cancel() }
        tasks = []
    }

    func take(_ change: FleetChange) {
        facts.apply(change)
    }

    /// A new revision: thresholds, route tree, inhibit rules and the nodes' places and duties.
    func configure(_ desired: DesiredState?) {
        config = desired?.alerts
        let thresholds = config?.thresholds ?? AlertThresholds()
        rules = AlertRules(thresholds: thresholds)
        facts.restartWindowSeconds = thresholds.restartWindowSeconds
        if let desired { facts.setDesired(desired) }
        dispatcher.route = config?.route
        dispatcher.timeIntervals = config?.timeIntervals ?? [:]
        // Receivers whose settings changed get a new notifier on their next send.
        notifiers = notifiers.filter { name, entry in config?.receivers[name] == entry.0 }
    }

    var inhibitRules: [InhibitRule] { config?.inhibitRules ?? [.nodeOfflineMutesNode] }
}

/// What alerting needs from the fleet at start and after each revision.
public struct AlertingSeed: Sendable {
    public struct Node: Sendable {
        public var name: String
        public var lastHeartbeat: Date
        public var report: StatusReport
    }

    public var desired: DesiredState?
    public var nodes: [Node]
    /// The current rollout's failure (RolloutFailed), if a failure stops it.
    public var rolloutFailure: RolloutFailure? = nil
}

extension Fleet {
    /// The desired state and every node's last heartbeat and report, for `Alerting`.
    public func alertingSeed() -> AlertingSeed {
        let nodes = observed.nodes.compactMap { name, node -> AlertingSeed.Node? in
            guard let last = tracker.lastHeartbeat(of: name) else { return nil }
            return AlertingSeed.Node(name: name, lastHeartbeat: last, report: node.report)
        }
        let failure = rollout.flatMap { rollout in
            rollout.failureSummary.map { RolloutFailure(revision: rollout.revision, summary: $0) }
        }
        return AlertingSeed(desired: book.desired, nodes: nodes, rolloutFailure: failure)
    }
}
