import FleetProtocol
import Foundation
import Logging

/// The station's agent: a level-triggered reconciler in the manner of a kubelet.
///
/// Three loops share this actor: the *connection* loop registers and holds the
/// watch on the assignment; the *reconcile* loop compares the persisted assignment
/// with what runs and acts; the *report* loop heartbeats status and the outbox.
/// The assignment is persisted before it is acted on, so the agent keeps recording
/// with its last assignment while no coordinator answers.
public actor NodeAgent {
    let configuration: AgentConfiguration
    let logger: Logger
    let client: CoordinatorClient
    let state: AgentStateDir
    let metrics: AgentMetrics
    let recorders: (any RecorderRuntime)?
    let jobs: (any JobRuntime)?
    let started = ContinuousClock.now

    var identity: NodeIdentity?
    var assignment: Assignment?
    var appliedRevision = 0
    var heartbeatSeconds = 10
    var outbox: Outbox
    var outboxDirty = false
    var runningCommands: Set<String> = []
    var lastReconcile: ContinuousClock.Instant?
    let reconcileWakeup = Wakeup()
    let reportWakeup = Wakeup()
    let registrationWakeup = Wakeup()
    let watchdog = SystemdNotifier()

    public init(configuration: AgentConfiguration, logger: Logger, metrics: AgentMetrics,
                recorders: (any RecorderRuntime)?, jobs: (any JobRuntime)?) throws {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.recorders = recorders
        self.jobs = jobs
        state = try AgentStateDir(path: configuration.stateDir, logger: logger)
        client = try CoordinatorClient(urls: configuration.coordinators, caFile: configuration.caFile, logger: logger)
        identity = state.loadIdentity()
        if let identity, identity.name != configuration.name {
            logger.warning("state dir holds the identity of another name; registering anew",
                           metadata: ["stored": "\(identity.name)", "name": "\(configuration.name)"])
            self.identity = nil
        }
        assignment = state.loadAssignment()
        heartbeatSeconds = assignment?.heartbeatSeconds ?? 10
        outbox = state.loadOutbox()
    }

    /// Runs every loop until the task is cancelled, then stops recorders and jobs cleanly.
    public func run() async {
        logger.info("agent starting", metadata: [
            "node": "\(configuration.name)", "stateDir": "\(configuration.stateDir)",
            "assignmentRevision": "\(assignment?.revision ?? 0)", "registered": "\(identity != nil)",
        ])
        watchdog.notify("READY=1")
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reconcileLoop() }
            group.addTask { await self.connectionLoop() }
            group.addTask { await self.reportLoop() }
            if let recorders = self.recorders { group.addTask { await recorders.run() } }
            await group.waitForAll()
        }
        watchdog.notify("STOPPING=1")
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
        let desired = assignment
        await recorders?.reconcile(desired?.recorders ?? [])
        await jobs?.reconcile(archives: desired?.archives ?? [], backups: desired?.backups ?? [])
        await jobs?.tick(now: Date())
        if let desired, desired.revision != appliedRevision, desired == assignment {
            appliedRevision = desired.revision
            metrics.appliedRevision.record(appliedRevision)
            logger.info("assignment applied", metadata: ["revision": "\(appliedRevision)",
                "recorders": "\(desired.recorders.count)", "archives": "\(desired.archives.count)",
                "backups": "\(desired.backups.count)"])
            await reportWakeup.signal()
        }
        await collectReports()
        metrics.reconciles.increment()
        lastReconcile = .now
        watchdog.notify("WATCHDOG=1")
    }

    func collectReports() async {
        var collected = false
        if let recorders {
            let events = await recorders.takeEvents(), segments = await recorders.takeSegments()
            outbox.events += events
            outbox.segments += segments
            collected = collected || !events.isEmpty || !segments.isEmpty
        }
        if let jobs {
            let events = await jobs.takeEvents(), runs = await jobs.takeRuns(), archived = await jobs.takeArchivedSegments()
            outbox.events += events
            outbox.jobRuns += runs
            outbox.segments += archived
            collected = collected || !events.isEmpty || !runs.isEmpty || !archived.isEmpty
        }
        if collected { outboxDirty = true }
        await flushOutbox()
    }

    func flushOutbox() async {
        guard outboxDirty else { return }
        let dropped = outbox.trim()
        if dropped > 0 {
            logger.error("outbox full; oldest reports dropped", metadata: ["dropped": "\(dropped)"])
        }
        do {
            try state.saveOutbox(outbox)
            outboxDirty = false
        } catch {
            logger.error("cannot persist outbox", metadata: ["error": "\(error)"])
        }
        metrics.outboxItems.record(outbox.events.count + outbox.segments.count + outbox.jobRuns.count + outbox.commandResults.count)
    }

    /// Persists a new assignment, then lets the reconciler act on it.
    func accept(_ new: Assignment) async {
        do {
            try state.saveAssignment(new)
        } catch {
            logger.error("cannot persist assignment; running it anyway", metadata: ["error": "\(error)"])
        }
        logger.info("assignment received", metadata: ["revision": "\(new.revision)"])
        assignment = new
        heartbeatSeconds = max(1, new.heartbeatSeconds)
        await reconcileWakeup.signal()
    }
}
