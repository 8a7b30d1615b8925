import FleetProtocol
import Dispatch
import FoundationEssentials
import Logging

/// Failure of a `JobRunner` request.
public enum JobRunnerError: Error, CustomStringConvertible, Sendable, Equatable {
    case unknownJob(kind: JobRun.Kind, name: String)
    case shutDown
    /// The archive ledger cannot be opened (even afresh): no archive or backup job can run.
    case ledgerUnavailable(String)

    public var description: String {
        switch self {
        case let .unknownJob(kind, name): return "no \(kind.rawValue) job named \(name) is assigned to this node"
        case .shutDown: return "job runner is shut down"
        case .ledgerUnavailable(let reason): return "archive ledger unavailable, archive and backup jobs cannot run: \(reason)"
        }
    }
}

/// The facade the node agent uses for archive and backup jobs: it holds the desired jobs
/// (`reconcile`), starts due ones on `tick`, never overlaps a job with itself, persists schedule
/// state in the ledger, and buffers runs, events and archived segments for the next status report.
public actor JobRunner {
    /// Tunables of the runner.
    public struct Configuration: Sendable, Equatable {
        public var archive: ArchiveConfiguration
        /// Cap of the randomized start delay (min(period/10, this)); 0 in tests.
        public var maxRandomDelaySeconds: Double

        public init(archive: ArchiveConfiguration = ArchiveConfiguration(), maxRandomDelaySeconds: Double = 300) {
            self.archive = archive
            self.maxRandomDelaySeconds = maxRandomDelaySeconds
        }
    }

    struct JobKey: Hashable, Sendable {
        var kind: JobRun.Kind
        var name: String
    }

    public let nodeName: String
    public let tempDir: String
    let ledger: Ledger
    let logger: Logger
    let configuration: Configuration
    let openFiles: @Sendable () async -> Set<String>

    var archives: [String: ArchiveJobSpec] = [:]
    var backups: [String: BackupJobSpec] = [:]
    var running: [JobKey: (task: Task<JobRun, Never>, cancel: CancellationFlag)] = [:]
    /// Progress of the runs under way (the same keys as `running`).
    var progress: [JobKey: JobProgressTracker] = [:]
    /// Randomized delay chosen per nominal due time.
    var delays: [JobKey: (nominal: Date, delay: Double)] = [:]
    var backlogs: [String: (backlog: ArchiveBacklog, at: Date, diskFullInHours: Double?)] = [:]
    var pendingRuns: [JobRun] = []
    var pendingEvents: [AgentEvent] = []
    var pendingSegments: [SegmentRecord] = []
    var reportedInvalid: Set<JobKey> = []
    /// When a job was first assigned: the stable reference for a job that never ran.
    var firstSeen: [JobKey: Date] = [:]
    var isShutDown = false

    /// Opens the ledger at `ledgerPath` (created when missing; a corrupt one is moved aside and
    /// started afresh, with a `ledger.reset` event in the next report).
    /// - Parameters:
    ///   - tempDir: local folder for SQLite snapshots before compression (next to the agent state).
    ///   - openFiles: paths recorders are writing right now; never archived.
    public init(ledgerPath: String, nodeName: String, tempDir: String, logger: Logger,
                configuration: Configuration = Configuration(),
                openFiles: @escaping @Sendable () async -> Set<String>) throws {
        let opened = try Ledger.openRecovering(path: ledgerPath)
        self.ledger = opened.ledger
        if let aside = opened.movedAside {
            logger.error("archive ledger was corrupt; moved aside and started afresh (every local file will be copied and verified again before any cleanup)",
                         metadata: ["ledger": "\(ledgerPath)", "movedTo": "\(aside)"])
            pendingEvents.append(AgentEvent(kind: "ledger.reset",
                message: "archive ledger \(ledgerPath) was corrupt: moved aside to \(aside); a fresh ledger re-copies and re-verifies every file before any cleanup"))
        }
        self.nodeName = nodeName
        self.tempDir = tempDir
        self.logger = logger
        self.configuration = configuration
        self.openFiles = openFiles
    }

    /// Sets the desired jobs (level-triggered). Running jobs that disappear finish their current run.
    public func reconcile(archives: [ArchiveJobSpec], backups: [BackupJobSpec]) {
        self.archives = Dictionary(archives.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.backups = Dictionary(backups.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let keys = Set(self.archives.keys.map { JobKey(kind: .archive, name: $0) } + self.backups.keys.map { JobKey(kind: .backup, name: $0) })
        delays = delays.filter { keys.contains($0.key) }
        backlogs = backlogs.filter { self.archives[$0.key] != nil }
        reportedInvalid = reportedInvalid.filter { keys.contains($0) }
        firstSeen = firstSeen.filter { keys.contains($0.key) }
        let now = Date()
        for key in keys where firstSeen[key] == nil { firstSeen[key] = now }
    }

    /// Starts every due job that is not already running (in child tasks; returns at once).
    public func tick(now: Date = Date()) async {
        guard !isShutDown else { return }
        for key in allKeys() where running[key] == nil {
            guard let due = dueDate(key, now: now) else { continue }
            if due <= now { _ = start(key, at: now) }
        }
    }

    /// Runs a job now and returns its result; when it is already running, waits for that run instead.
    public func runNow(kind: JobRun.Kind, name: String) async throws -> JobRun {
        guard !isShutDown else { throw JobRunnerError.shutDown }
        let key = JobKey(kind: kind, name: name)
        if let current = running[key] { return await current.task.value }
        guard (kind == .archive ? archives[name] != nil : backups[name] != nil) else {
            throw JobRunnerError.unknownJob(kind: kind, name: name)
        }
        return await start(key, at: Date()).value
    }

    /// Runs finished since the last call.
    public func takeRuns() -> [JobRun] { defer { pendingRuns = [] }; return pendingRuns }
    /// Events since the last call.
    public func takeEvents() -> [AgentEvent] { defer { pendingEvents = [] }; return pendingEvents }
    /// Recorder segments whose archive copy was verified since the last call (durationSeconds 0 = unknown).
    public func takeArchivedSegments() -> [SegmentRecord] { defer { pendingSegments = [] }; return pendingSegments }

    /// Standing state of every assigned job. Backlog and forecast are as of the job's last run.
    public func statuses(now: Date = Date()) -> [JobStatus] {
        allKeys().sorted { ($0.kind.rawValue, $0.name) < ($1.kind.rawValue, $1.name) }.map { key in
            let state = try? ledger.jobState(kind: key.kind.rawValue, name: key.name)
            var status = JobStatus(job: key.name, kind: key.kind, lastSuccessAt: state?.lastSuccessAt,
                                   lastFailureAt: state?.lastFailureAt, lastError: state?.lastError,
                                   nextRunAt: running[key] == nil ? dueDate(key, now: now) : nil,
                                   progress: running[key] == nil ? nil : progress[key]?.snapshot())
            if key.kind == .archive, let b = backlogs[key.name] {
                status.backlogFiles = b.backlog.files
                status.backlogBytes = b.backlog.bytes
                status.oldestUnarchivedAgeSeconds = b.backlog.oldestAgeSeconds.map { $0 + max(0, now.timeIntervalSince(b.at)) }
                status.diskFullInHours = b.diskFullInHours
            }
            return status
        }
    }

    /// Cancels running jobs (they stop between chunks/files, leaving nothing half-visible) and waits for them.
    public func shutdown() async {
        isShutDown = true
        let tasks = running.values
        for entry in tasks { entry.cancel.cancel() }
        for entry in tasks { _ = await entry.task.value }
    }

    // MARK: internals

    func allKeys() -> [JobKey] {
        archives.keys.map { JobKey(kind: .archive, name: $0) } + backups.keys.map { JobKey(kind: .backup, name: $0) }
    }

    func schedule(of key: JobKey) -> JobSchedule? {
        key.kind == .archive ? archives[key.name]?.schedule : backups[key.name]?.schedule
    }

    /// Nominal next run plus its randomized delay; nil for an invalid schedule (reported once).
    func dueDate(_ key: JobKey, now: Date) -> Date? {
        guard let schedule = schedule(of: key) else { return nil }
        // A last run "in the future" was recorded under a clock that ran ahead (a Pi without an
        // RTC before NTP corrected it): measured from it, the job would stall until the clock
        // caught up. Count it as having run now instead.
        let last = (try? ledger.jobState(kind: key.kind.rawValue, name: key.name))?.lastRunAt.map { min($0, now) }
        // A job that never ran is measured from when it was assigned, so its due time is stable.
        let reference = last == nil ? min(firstSeen[key] ?? now, now) : now
        guard let nominal = JobScheduleCalculator.nextRun(schedule, lastRun: last, now: reference) else {
            if !reportedInvalid.contains(key) {
                reportedInvalid.insert(key)
                pendingEvents.append(AgentEvent(kind: "\(key.kind.rawValue).invalid-schedule", job: key.name,
                                                message: "job \(key.name): schedule \(schedule.kind.rawValue) is incomplete; the job never runs"))
            }
            return nil
        }
        if let d = delays[key], d.nominal == nominal { return nominal.addingTimeInterval(d.delay) }
        let cap = JobScheduleCalculator.maxRandomDelay(schedule, cap: configuration.maxRandomDelaySeconds)
        let delay = cap > 0 ? Double.random(in: 0...cap) : 0
        delays[key] = (nominal, delay)
        return nominal.addingTimeInterval(delay)
    }

    func start(_ key: JobKey, at now: Date) -> Task<JobRun, Never> {
        do { try ledger.recordRunStarted(kind: key.kind.rawValue, name: key.name, at: now) } catch {
            logger.error("cannot record job start", metadata: ["job": "\(key.name)", "error": "\(error)"])
        }
        let cancel = CancellationFlag()
        let tracker = JobProgressTracker(startedAt: now)
        let task = Task { await self.execute(key, cancel: cancel, tracker: tracker) }
        running[key] = (task, cancel)
        progress[key] = tracker
        return task
    }

    func execute(_ key: JobKey, cancel: CancellationFlag, tracker: JobProgressTracker) async -> JobRun {
        let started = Date()
        var run = JobRun(job: key.name, kind: key.kind, startedAt: started, durationSeconds: 0, files: 0, bytes: 0,
                         outcome: .failed, error: "job \(key.name) is no longer assigned")
        if key.kind == .archive, let spec = archives[key.name] {
            let open = await openFiles()
            let job = ArchiveJob(spec: spec, ledger: ledger, configuration: configuration.archive, logger: logger, cancel: cancel,
                                 tracker: tracker)
            let report = await Self.offPool { job.run(openFiles: open) }
            run = report.run
            pendingEvents += report.events
            pendingSegments += report.segments
            backlogs[key.name] = (report.backlog, Date(), report.diskFullInHours)
        } else if key.kind == .backup, let spec = backups[key.name] {
            let job = BackupJob(spec: spec, node: nodeName, tempDir: tempDir, logger: logger, cancel: cancel, tracker: tracker)
            let report = await Self.offPool { job.run() }
            run = report.run
            pendingEvents += report.events
        }
        do {
            try ledger.recordRunFinished(kind: key.kind.rawValue, name: key.name, at: Date(),
                                         succeeded: run.outcome == .succeeded, error: run.error)
        } catch {
            logger.error("cannot record job result", metadata: ["job": "\(key.name)", "error": "\(error)"])
        }
        pendingRuns.append(run)
        running[key] = nil
        progress[key] = nil
        return run
    }

    /// Runs blocking work on a GCD thread, not on the cooperative pool.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async { continuation.resume(returning: body()) }
        }
    }
}
