import Foundation

/// `POST /v1/apply`: the inventory files as the operator wrote them.
/// The coordinator parses and validates them, so errors carry each file's own line and column.
public struct ApplyRequest: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        /// The path as the operator named it; used in `FILE:LINE:COLUMN` errors.
        public var path: String
        public var content: String
        public init(path: String, content: String) {
            self.path = path
            self.content = content
        }
    }
    public var files: [File]
    public var dryRun: Bool

    public init(files: [File], dryRun: Bool = false) {
        self.files = files
        self.dryRun = dryRun
    }
}

/// What an apply did (or, with `dryRun`, would do). Names are `kind/name`, e.g. `station/ROST1`.
public struct ApplyResult: Codable, Sendable, Equatable {
    /// The inventory revision after the apply; unchanged when nothing changed.
    public var revision: Int
    public var created: [String]
    public var changed: [String]
    public var deleted: [String]
    public var unchanged: [String]
    public var dryRun: Bool

    public init(revision: Int, created: [String], changed: [String], deleted: [String], unchanged: [String], dryRun: Bool) {
        self.revision = revision
        self.created = created
        self.changed = changed
        self.deleted = deleted
        self.unchanged = unchanged
        self.dryRun = dryRun
    }

    public var hasChanges: Bool { !created.isEmpty || !changed.isEmpty || !deleted.isEmpty }
}

/// Node liveness as the coordinator sees it.
public enum NodeState: String, Codable, Sendable {
    /// Declared in the inventory, never registered.
    case pending
    case online
    case offline
}

/// `GET /v1/nodes`: one row per node.
public struct NodeView: Codable, Sendable, Equatable {
    public var name: String
    public var site: String
    public var state: NodeState
    public var appliedRevision: Int
    public var desiredRevision: Int
    public var lastHeartbeatAgeSeconds: Double?
    public var agentVersion: String?
    /// The fullest path it reports.
    public var diskUsedPercent: Double?
    public var registered: Bool
    public var storage: [StorageMetric]?
    public var jobs: [JobStatus]?
    public var recentEvents: [AgentEvent]?

    public init(name: String, site: String, state: NodeState, appliedRevision: Int, desiredRevision: Int,
                lastHeartbeatAgeSeconds: Double?, agentVersion: String?, diskUsedPercent: Double?, registered: Bool,
                storage: [StorageMetric]? = nil, jobs: [JobStatus]? = nil, recentEvents: [AgentEvent]? = nil) {
        self.name = name
        self.site = site
        self.state = state
        self.appliedRevision = appliedRevision
        self.desiredRevision = desiredRevision
        self.lastHeartbeatAgeSeconds = lastHeartbeatAgeSeconds
        self.agentVersion = agentVersion
        self.diskUsedPercent = diskUsedPercent
        self.registered = registered
        self.storage = storage
        self.jobs = jobs
        self.recentEvents = recentEvents
    }
}

/// `GET /v1/stations`: one row per station. Never carries a password.
public struct StationView: Codable, Sendable, Equatable {
    public var name: String
    public var node: String
    public var site: String
    public var state: RecorderState
    public var restarts: Int
    public var pid: Int32?
    public var currentSegment: String?
    public var currentSegmentBytes: UInt64?
    public var newestSegment: String?
    public var newestSegmentAgeSeconds: Double?
    public var lastError: String?
    /// Camera `host:port/path`, without credentials.
    public var camera: String
    public var segmentSeconds: Int
    public var recentEvents: [AgentEvent]?
    public var recentCommands: [CommandView]?

    public init(name: String, node: String, site: String, state: RecorderState, restarts: Int, pid: Int32? = nil,
                currentSegment: String? = nil, currentSegmentBytes: UInt64? = nil, newestSegment: String? = nil,
                newestSegmentAgeSeconds: Double? = nil, lastError: String? = nil, camera: String, segmentSeconds: Int,
                recentEvents: [AgentEvent]? = nil, recentCommands: [CommandView]? = nil) {
        self.name = name
        self.node = node
        self.site = site
        self.state = state
        self.restarts = restarts
        self.pid = pid
        self.currentSegment = currentSegment
        self.currentSegmentBytes = currentSegmentBytes
        self.newestSegment = newestSegment
        self.newestSegmentAgeSeconds = newestSegmentAgeSeconds
        self.lastError = lastError
        self.camera = camera
        self.segmentSeconds = segmentSeconds
        self.recentEvents = recentEvents
        self.recentCommands = recentCommands
    }
}

/// `GET /v1/sites`.
public struct SiteView: Codable, Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var nodes: [String]
    public var online: Int

    public init(name: String, labels: [String: String], nodes: [String], online: Int) {
        self.name = name
        self.labels = labels
        self.nodes = nodes
        self.online = online
    }
}

/// `GET /v1/stations/{name}/recordings?from=&to=`: catalog coverage and gaps.
public struct RecordingsView: Codable, Sendable, Equatable {
    public struct Gap: Codable, Sendable, Equatable {
        public var from: Date
        public var to: Date
        public var seconds: Double
        public init(from: Date, to: Date, seconds: Double) {
            self.from = from
            self.to = to
            self.seconds = seconds
        }
    }
    public var station: String
    public var from: Date?
    public var to: Date?
    public var segmentSeconds: Int
    public var segments: [SegmentRecord]
    public var coveredSeconds: Double
    public var gaps: [Gap]

    public init(station: String, from: Date?, to: Date?, segmentSeconds: Int, segments: [SegmentRecord],
                coveredSeconds: Double, gaps: [Gap]) {
        self.station = station
        self.from = from
        self.to = to
        self.segmentSeconds = segmentSeconds
        self.segments = segments
        self.coveredSeconds = coveredSeconds
        self.gaps = gaps
    }
}

/// `POST /v1/stations/{name}/restart`, `POST /v1/jobs/{kind}/{name}/run`: the queued command(s).
public struct CommandsResponse: Codable, Sendable, Equatable {
    public var commands: [CommandView]
    public init(commands: [CommandView]) { self.commands = commands }
}
