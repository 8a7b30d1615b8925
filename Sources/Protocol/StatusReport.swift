import FoundationEssentials

/// `POST /v1/nodes/{name}/heartbeat` with the node token: liveness plus everything
/// the agent has to tell. Items with ids (events, segments, job runs, command results)
/// are idempotent: the agent resends them until a report is acknowledged, and the
/// coordinator ignores ids it has already stored.
///
/// ```swift
/// let report = StatusReport(agentVersion: FleetVersion.current, uptimeSeconds: 42, appliedRevision: 3,
///                           stations: [StationStatus(station: "ROST1", state: .recording)])
/// let body = try WireCoding.encode(report.fittedToLimits())   // within ReportLimits
/// ```
public struct StatusReport: Codable, Sendable, Equatable {
    public var agentVersion: String
    public var uptimeSeconds: Double
    /// The assignment revision the agent is running (0 = none yet).
    public var appliedRevision: Int
    public var storage: [StorageMetric]
    public var stations: [StationStatus]
    public var events: [AgentEvent]
    public var segments: [SegmentRecord]
    public var jobRuns: [JobRun]
    public var jobs: [JobStatus]
    public var commandResults: [CommandResult]
    /// The node's failed systemd units (`systemctl --failed`); nil where systemd does not run.
    public var failedUnits: [String]?
    /// The agent's CPU architecture (`arm64`, `x86_64`); nil from agents before agent upgrades.
    public var arch: String?
    /// Progress or failure of the upgrade to the assignment's wanted agent; nil when none is under way.
    public var agentUpgrade: AgentUpgradeStatus?
    /// The agent's number for this report (increasing while it runs); later heartbeats may carry
    /// only what changed since it (``StatusDelta``). Nil from agents before delta heartbeats.
    public var sequence: Int?

    public init(agentVersion: String, uptimeSeconds: Double, appliedRevision: Int, storage: [StorageMetric] = [],
                stations: [StationStatus] = [], events: [AgentEvent] = [], segments: [SegmentRecord] = [],
                jobRuns: [JobRun] = [], jobs: [JobStatus] = [], commandResults: [CommandResult] = [],
                failedUnits: [String]? = nil, arch: String? = nil, agentUpgrade: AgentUpgradeStatus? = nil,
                sequence: Int? = nil) {
        self.agentVersion = agentVersion
        self.uptimeSeconds = uptimeSeconds
        self.appliedRevision = appliedRevision
        self.storage = storage
        self.stations = stations
        self.events = events
        self.segments = segments
        self.jobRuns = jobRuns
        self.jobs = jobs
        self.commandResults = commandResults
        self.failedUnits = failedUnits
        self.arch = arch
        self.agentUpgrade = agentUpgrade
        self.sequence = sequence
    }

    enum CodingKeys: String, CodingKey {
        case agentVersion, uptimeSeconds, appliedRevision, storage, stations, events, segments, jobRuns, jobs, commandResults
        case failedUnits, arch, agentUpgrade, sequence
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        agentVersion = try c.decode(String.self, forKey: .agentVersion)
        uptimeSeconds = try c.decodeIfPresent(Double.self, forKey: .uptimeSeconds) ?? 0
        appliedRevision = try c.decodeIfPresent(Int.self, forKey: .appliedRevision) ?? 0
        storage = try c.decodeIfPresent([StorageMetric].self, forKey: .storage) ?? []
        stations = try c.decodeIfPresent([StationStatus].self, forKey: .stations) ?? []
        events = try c.decodeIfPresent([AgentEvent].self, forKey: .events) ?? []
        segments = try c.decodeIfPresent([SegmentRecord].self, forKey: .segments) ?? []
        jobRuns = try c.decodeIfPresent([JobRun].self, forKey: .jobRuns) ?? []
        jobs = try c.decodeIfPresent([JobStatus].self, forKey: .jobs) ?? []
        commandResults = try c.decodeIfPresent([CommandResult].self, forKey: .commandResults) ?? []
        failedUnits = try c.decodeIfPresent([String].self, forKey: .failedUnits)
        arch = try c.decodeIfPresent(String.self, forKey: .arch)
        agentUpgrade = try c.decodeIfPresent(AgentUpgradeStatus.self, forKey: .agentUpgrade)
        sequence = try c.decodeIfPresent(Int.self, forKey: .sequence)
    }
}

/// The coordinator's answer to a report.
public struct StatusAck: Codable, Sendable, Equatable {
    public var heartbeatSeconds: Int
    /// The node's current desired revision, so an agent learns of a change even without its watch.
    public var desiredRevision: Int
    /// The `sequence` of the status the coordinator now holds for this node: the agent may send
    /// a ``StatusDelta`` relative to it. Nil: send full reports (an older coordinator, a report
    /// without a sequence, or a node in a staged rollout, whose health is read from full reports).
    public var statusBase: Int?

    public init(heartbeatSeconds: Int, desiredRevision: Int, statusBase: Int? = nil) {
        self.heartbeatSeconds = heartbeatSeconds
        self.desiredRevision = desiredRevision
        self.statusBase = statusBase
    }
}

/// Space on one file system, measured with statvfs.
public struct StorageMetric: Codable, Sendable, Equatable {
    public var path: String
    public var totalBytes: UInt64
    public var freeBytes: UInt64
    public var usedPercent: Double

    public init(path: String, totalBytes: UInt64, freeBytes: UInt64, usedPercent: Double) {
        self.path = path
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.usedPercent = usedPercent
    }
}

/// What a recorder is doing now.
public enum RecorderState: String, Codable, Sendable, CaseIterable {
    case recording
    case stalled
    case backingOff = "backing-off"
    case stopped
    case unknown
}

/// The live state of one station's recorder.
public struct StationStatus: Codable, Sendable, Equatable {
    public var station: String
    public var state: RecorderState
    public var pid: Int32?
    public var restarts: Int
    public var currentSegment: String?
    public var currentSegmentBytes: UInt64?
    public var newestSegment: String?
    public var newestSegmentAt: Date?
    public var lastError: String?
    /// Seconds since a valid segment last closed, measured on the agent's monotonic clock when
    /// the report was made: right even when the node's wall clock is not (a Pi before NTP).
    public var newestSegmentAgeSeconds: Double?

    public init(station: String, state: RecorderState, pid: Int32? = nil, restarts: Int = 0, currentSegment: String? = nil,
                currentSegmentBytes: UInt64? = nil, newestSegment: String? = nil, newestSegmentAt: Date? = nil,
                lastError: String? = nil, newestSegmentAgeSeconds: Double? = nil) {
        self.station = station
        self.state = state
        self.pid = pid
        self.restarts = restarts
        self.currentSegment = currentSegment
        self.currentSegmentBytes = currentSegmentBytes
        self.newestSegment = newestSegment
        self.newestSegmentAt = newestSegmentAt
        self.lastError = lastError
        self.newestSegmentAgeSeconds = newestSegmentAgeSeconds
    }

    /// When the newest valid segment closed, on the receiver's clock: the time the report was
    /// heard minus the age the agent measured, or (an older agent) the agent's own wall time.
    ///
    /// ```swift
    /// let newest = status.newestSegmentTime(heardAt: lastHeartbeat)   // coordinator's clock
    /// ```
    public func newestSegmentTime(heardAt: Date?) -> Date? {
        if let age = newestSegmentAgeSeconds, let heardAt { return heardAt.addingTimeInterval(-age) }
        return newestSegmentAt
    }
}

/// Something that happened on a node, such as a recorder restart and its reason.
public struct AgentEvent: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var time: Date
    /// e.g. `recorder.restarted`, `recorder.stalled`, `segment.invalid`, `archive.failed`.
    public var kind: String
    public var station: String?
    public var job: String?
    public var message: String

    public init(id: String = UUID().uuidString, time: Date = Date(), kind: String, station: String? = nil,
                job: String? = nil, message: String) {
        self.id = id
        self.time = time
        self.kind = kind
        self.station = station
        self.job = job
        self.message = message
    }
}

/// One closed recording segment.
public struct SegmentRecord: Codable, Sendable, Equatable {
    public var station: String
    /// File name, `STATION_YYYYMMDDTHHMMSS.mkv`.
    public var name: String
    public var start: Date
    public var durationSeconds: Double
    public var bytes: UInt64
    /// False when ffprobe found no video stream or no duration; such a segment is no coverage.
    public var valid: Bool
    /// Set once the archive verified a copy.
    public var archivePath: String?
    public var sha256: String?

    public init(station: String, name: String, start: Date, durationSeconds: Double, bytes: UInt64, valid: Bool,
                archivePath: String? = nil, sha256: String? = nil) {
        self.station = station
        self.name = name
        self.start = start
        self.durationSeconds = durationSeconds
        self.bytes = bytes
        self.valid = valid
        self.archivePath = archivePath
        self.sha256 = sha256
    }
}

/// One run of an archive or backup job.
public struct JobRun: Codable, Sendable, Equatable, Identifiable {
    public enum Kind: String, Codable, Sendable { case archive, backup }
    public enum Outcome: String, Codable, Sendable { case succeeded, failed, partial }
    public var id: String
    public var job: String
    public var kind: Kind
    public var startedAt: Date
    public var durationSeconds: Double
    public var files: Int
    public var bytes: UInt64
    public var outcome: Outcome
    public var error: String?

    public init(id: String = UUID().uuidString, job: String, kind: Kind, startedAt: Date, durationSeconds: Double,
                files: Int, bytes: UInt64, outcome: Outcome, error: String? = nil) {
        self.id = id
        self.job = job
        self.kind = kind
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.files = files
        self.bytes = bytes
        self.outcome = outcome
        self.error = error
    }
}

/// The standing state of one job on a node: backlog and forecasts.
public struct JobStatus: Codable, Sendable, Equatable {
    public var job: String
    public var kind: JobRun.Kind
    public var lastSuccessAt: Date?
    public var lastFailureAt: Date?
    public var lastError: String?
    public var backlogFiles: Int
    public var backlogBytes: UInt64
    public var oldestUnarchivedAgeSeconds: Double?
    /// Hours until the source disk is full at the recent fill rate; nil when not filling.
    public var diskFullInHours: Double?
    public var nextRunAt: Date?
    /// How far the run under way has come; nil when the job is not running (and from agents
    /// before job progress, which coordinators and fleetctl treat the same).
    public var progress: JobProgress?

    public init(job: String, kind: JobRun.Kind, lastSuccessAt: Date? = nil, lastFailureAt: Date? = nil,
                lastError: String? = nil, backlogFiles: Int = 0, backlogBytes: UInt64 = 0,
                oldestUnarchivedAgeSeconds: Double? = nil, diskFullInHours: Double? = nil, nextRunAt: Date? = nil,
                progress: JobProgress? = nil) {
        self.job = job
        self.kind = kind
        self.lastSuccessAt = lastSuccessAt
        self.lastFailureAt = lastFailureAt
        self.lastError = lastError
        self.backlogFiles = backlogFiles
        self.backlogBytes = backlogBytes
        self.oldestUnarchivedAgeSeconds = oldestUnarchivedAgeSeconds
        self.diskFullInHours = diskFullInHours
        self.nextRunAt = nextRunAt
        self.progress = progress
    }
}
