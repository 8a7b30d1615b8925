import FleetProtocol
import FoundationEssentials
import Logging

/// The station's agent: a level-triggered reconciler in the manner of a kubelet.
///
/// Three loops share this actor: the *connection* loop registers and holds the
/// watch on the assignment; the *reconcile* loop compares the persisted assignment
/// with what runs and acts; the *report* loop heartbeats status and the outbox.
/// The assignment is persisted before it is acted on, so the agent keeps recording
/// with its last assignment while no coordinator answers.
///
/// The coordinator and the state dir come in as protocols (``CoordinatorConnection``,
/// ``AgentStateStore``); the convenience initialiser wires the real ones.
///
/// ```swift
/// let agent = try NodeAgent(configuration: configuration, logger: logger, metrics: AgentMetrics(),
///                           recorders: runtimes.recorders, jobs: runtimes.jobs)
/// let task = Task { await agent.run() }
/// // … on SIGTERM:
/// task.cancel()
/// await task.value   // recorders stopped, outbox flushed
/// ```
public actor NodeAgent {
    let configuration: AgentConfiguration
    let logger: Logger
    let client: any CoordinatorConnection
    let state: any AgentStateStore
    let metrics: AgentMetrics
    let recorders: (any RecorderRuntime)?
    let jobs: (any JobRuntime)?
    let started = ContinuousClock.now

    var identity: NodeIdentity?
    var assignment: Assignment?
    var appliedRevision = 0
    var heartbeatSeconds = 10
    /// Command results and done command ids (`outbox.json`).
    var outbox: Outbox
    var outboxDirty = false
    /// Events, segments and job runs until a coordinator acknowledged them (`STATE/outbox/`).
    nonisolated let journal: ReportJournal
    /// The status a coordinator holds for this node, for delta heartbeats; nil: send a full report.
    var statusBase: AcknowledgedStatus?
    /// The last report's sequence number (counts from 1 at every start).
    var reportSequence = 0
    var commands = CommandGate()
    var connectionBackoff: Backoff
    /// Back-off for reports the coordinator refused for now without a `Retry-After`.
    var reportBackoff = Backoff(base: .seconds(5), cap: .seconds(300), jitter: 0.5...1.0)
    /// Why reports are being held back ("rate_limited", "status 507"), nil while accepted.
    var reportHold: String?
    /// Why the state dir cannot be written (first error of the current condition); nil while writable.
    var stateUnwritable: String?
    var identityUnsaved = false
    var assignmentUnsaved = false
    var lastReconcile: ContinuousClock.Instant?
    /// Whether a job ran at the last reconcile pass: a job that starts nudges a heartbeat, so its
    /// progress shows at once instead of after the rest of a heartbeat interval.
    var jobsWereRunning = false
    /// Job runs an operator asked for (`fleetctl run`) that are under way: while any is, the
    /// agent heartbeats every `progressHeartbeat` so a waiting `run --wait` sees fresh progress.
    var operatorJobRuns = 0
    /// Notices the wall clock being set (NTP after a boot without a real-time clock).
    var clockWatch = ClockJumpDetector(wall: Date(), monotonic: .now)
    let reconcileWakeup = Wakeup()
    let reportWakeup = Wakeup()
    let registrationWakeup = Wakeup()
    let watchdog = SystemdNotifier()
    /// The failed systemd units for each report (cached; refreshed at most every 30 s).
    let failedUnits: FailedUnitsProbe
    /// Agent upgrades to the assignment's `agent` target (nil in tests that pass none).
    let upgrader: AgentUpgrader?

    /// Wires the real coordinator client (HTTP, failover across `configuration.coordinators`)
    /// and the on-disk state dir at `configuration.stateDir`.
    public init(configuration: AgentConfiguration, logger: Logger, metrics: AgentMetrics,
                recorders: (any RecorderRuntime)?, jobs: (any JobRuntime)?) throws {
        // The state dir first: an HTTP client made before a throwing step would never be shut down.
        let state = try AgentStateDir(path: configuration.stateDir, logger: logger)
        let publicKey = try configuration.upgradePublicKey.map { try BuildSignature.publicKey(base64: $0) }
        let upgrader = AgentUpgrader(paths: UpgradePaths(stateDir: configuration.stateDir), publicKey: publicKey,
                                     deadlineSeconds: configuration.upgradeDeadlineSeconds, logger: logger)
        let client = try CoordinatorClient(urls: configuration.coordinators, caFile: configuration.caFile,
                                           spreadKey: configuration.name, logger: logger)
        self.init(configuration: configuration, client: client, state: state, logger: logger, metrics: metrics,
                  recorders: recorders, jobs: jobs, upgrader: upgrader)
    }

    /// An agent talking to `client` and keeping its state in `state`.
    ///
    /// ```swift
    /// // In a unit test, with in-memory doubles of both seams:
    /// let agent = NodeAgent(configuration: configuration, client: FakeCoordinator(),
    ///                       state: InMemoryAgentState(), logger: logger, metrics: AgentMetrics(),
    ///                       recorders: nil, jobs: nil)
    /// ```
    /// `failedUnits` reports the node's failed systemd units; a test passes a probe with a stand-in `systemctl`.
    public init(configuration: AgentConfiguration, client: any CoordinatorConnection, state: any AgentStateStore,
                logger: Logger, metrics: AgentMetrics, recorders: (any RecorderRuntime)?, jobs: (any JobRuntime)?,
                failedUnits: FailedUnitsProbe? = nil, upgrader: AgentUpgrader? = nil) {
        self.failedUnits = failedUnits ?? FailedUnitsProbe(logger: logger)
        self.upgrader = upgrader
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.recorders = recorders
        self.jobs = jobs
        self.state = state
        self.client = client
        connectionBackoff = Backoff(base: .milliseconds(500), cap: configuration.maxBackoff, jitter: 0.5...1.0)
        identity = state.loadIdentity()
        if let identity, identity.name != configuration.name {
            logger.warning("state dir holds the identity of another name; registering anew",
                           metadata: ["stored": "\(identity.name)", "name": "\(configuration.name)"])
            self.identity = nil
        }
        assignment = state.loadAssignment()
        heartbeatSeconds = assignment?.heartbeatSeconds ?? 10
        var outbox = state.loadOutbox()
        let journal = state.openReportJournal(maxBytes: configuration.outboxMaxBytes)
        let legacy = outbox.legacyItems
        if !legacy.isEmpty {
            // An outbox.json from before the journal: its items move into the journal; the file is
            // rewritten without them only after the journal has them on disk (the first flush).
            journal.enqueue(legacy)
            outbox.events = []
            outbox.segments = []
            outbox.jobRuns = []
            outboxDirty = true
            logger.notice("queued reports moved from outbox.json into the journal", metadata: ["items": "\(legacy.count)"])
        }
        self.outbox = outbox
        self.journal = journal
    }

    /// Runs every loop until the task is cancelled, then stops recorders and jobs cleanly.
    public func run() async {
        logger.info("agent starting", metadata: [
            "node": "\(configuration.name)", "stateDir": "\(configuration.stateDir)",
            "assignmentRevision": "\(assignment?.revision ?? 0)", "registered": "\(identity != nil)",
        ])
        await takeHandoff()
        watchdog.notify("READY=1")
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reconcileLoop() }
            group.addTask { await self.connectionLoop() }
            group.addTask { await self.reportLoop() }
            if let recorders = self.recorders { group.addTask { await recorders.run() } }
            await group.waitForAll()
        }
        watchdog.notify("STOPPING=1")
        await upgrader?.stopping()
        await recorders?.stopAll()
        await jobs?.shutdown()
        await flushOutbox()
        await client.shutdown()
        logger.info("agent stopped")
    }

    /// Seconds since the reconcile loop last completed, for `/healthz`.
    public func reconcileAge() -> Double? {
        lastReconcile.map { (ContinuousClock.now - $0).seconds }
    }

    // MARK: Reconcile

    func reconcileLoop() async {
        while !Task.isCancelled {
            await reconcileOnce()
            await reconcileWakeup.wait(timeout: .seconds(1))
        }
    }

    /// One pass: desired (the persisted assignment) against actual, then collect what to report.
    func reconcileOnce() async {
        retryPendingStateWrites()
        noticeClockJump()
        let desired = assignment
        await recorders?.reconcile(desired?.recorders ?? [])
        await jobs?.reconcile(archives: desired?.archives ?? [], backups: desired?.backups ?? [])
        await jobs?.tick(now: Date())
        let jobsRunning = !(await jobs?.runningJobs() ?? []).isEmpty
        if jobsRunning && !jobsWereRunning { await reportWakeup.signal() }
        jobsWereRunning = jobsRunning
        if let desired, desired.revision != appliedRevision, desired == assignment {
            appliedRevision = desired.revision
            metrics.appliedRevision.record(appliedRevision)
            logger.info("assignment applied", metadata: ["revision": "\(appliedRevision)",
                "recorders": "\(desired.recorders.count)", "archives": "\(desired.archives.count)",
                "backups": "\(desired.backups.count)"])
            await reportWakeup.signal()
        }
        await collectReports()
        await upgradeStep()
        metrics.reconciles.increment()
        lastReconcile = .now
        watchdog.notify("WATCHDOG=1")
    }

    /// Reports a wall-clock jump as an event: segment names and run times written before it
    /// are on the old clock, so an operator sees why a catalog or schedule looks shifted.
    func noticeClockJump() {
        guard let jump = clockWatch.observe(wall: Date(), monotonic: .now) else { return }
        let message = "clock jumped \(jump.description) (now \(jump.wallNow.formatted(.iso8601))): "
            + "times named before it (segments, job runs) are on the old clock"
        logger.warning("\(message)")
        journal.enqueue([.event(AgentEvent(kind: "agent.clock-jumped", message: message))])
    }

    /// Persists a new assignment, then lets the reconciler act on it.
    func accept(_ new: Assignment) async {
        // Acted on even when it cannot be persisted; retried on later reconcile passes.
        assignmentUnsaved = !persist("assignment", { try state.saveAssignment(new) })
        logger.info("assignment received", metadata: ["revision": "\(new.revision)"])
        assignment = new
        heartbeatSeconds = max(1, new.heartbeatSeconds)
        await reconcileWakeup.signal()
    }
}
