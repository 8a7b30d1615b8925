import FoundationEssentials

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
    /// The largest request body the coordinator accepts (`HTTPHelpers.maxBodyBytes`, 4 MiB);
    /// fleetctl checks the inventory against it before sending.
    public static let maxBodyBytes = 4 * 1024 * 1024

    public var files: [File]
    public var dryRun: Bool
    /// The operator's explicit decision to delete many objects (`fleetctl apply --prune`).
    /// Without it the coordinator refuses an apply that deletes more than half (or all) of
    /// the stations, nodes or jobs; see ``DeletionGuard``. Default `false`.
    public var allowDeletions: Bool
    /// Values of the `${NAME}` references in the files, taken from fleetctl's environment.
    /// Only referenced names are sent. `nil` or missing: no variables.
    public var variables: [String: String]?
    /// Who applies, as `USER@host` (fleetctl fills it in); recorded with the revision next to
    /// the credential (`admin`). Optional: older clients do not send it.
    public var by: String?

    public init(files: [File], dryRun: Bool = false, allowDeletions: Bool = false, variables: [String: String]? = nil,
                by: String? = nil) {
        self.files = files
        self.dryRun = dryRun
        self.allowDeletions = allowDeletions
        self.variables = variables
        self.by = by
    }

    private enum CodingKeys: String, CodingKey { case files, dryRun, allowDeletions, variables, by }

    /// Tolerant: unknown fields are ignored, `dryRun` and `allowDeletions` default to `false`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        files = try container.decode([File].self, forKey: .files)
        dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false
        allowDeletions = try container.decodeIfPresent(Bool.self, forKey: .allowDeletions) ?? false
        variables = try container.decodeIfPresent([String: String].self, forKey: .variables)
        by = try container.decodeIfPresent(String.self, forKey: .by)
    }
}

/// One changed field of an object, as `fleetctl diff` prints it:
/// `~ station/ROST1: recorder.camera.host 192.168.1.75 → 192.168.1.80`.
/// `old` is `nil` for a field that appears, `new` for one that disappears. Values are
/// rendered as text; secrets are never included (the inventory holds only file paths of secrets).
public struct FieldChange: Codable, Sendable, Equatable {
    /// Dotted path inside the object, e.g. `recorder.camera.host`, `recorder.keepDays`, `to[0]`.
    public var path: String
    public var old: String?
    public var new: String?

    public init(path: String, old: String?, new: String?) {
        self.path = path
        self.old = old
        self.new = new
    }
}

/// When an apply counts as a mass deletion that needs ``ApplyRequest/allowDeletions``.
public enum DeletionGuard {
    /// The kinds the guard counts, as the `kind/` prefix of object names. Archive and
    /// backup jobs count together as jobs.
    public static let guardedKinds: [(label: String, prefixes: [String])] = [
        ("station", ["station/"]), ("node", ["node/"]), ("job", ["archive/", "backup/"]),
    ]

    /// The rule: for stations, for nodes and for jobs (archive and backup together) separately,
    /// an apply that deletes more than half of those the current revision has — so also all of
    /// them, even when there is only one — needs `allowDeletions`. Smaller deletions apply without it.
    /// Returns one phrase per kind that trips the rule, e.g. `2 of 2 stations`; empty when the apply may proceed.
    public static func violations(current: [String], deleted: [String]) -> [String] {
        var phrases: [String] = []
        for kind in guardedKinds {
            let matches = { (name: String) in kind.prefixes.contains { name.hasPrefix($0) } }
            let before = current.filter(matches).count
            let gone = deleted.filter(matches).count
            if gone > 0, gone * 2 > before {
                phrases.append("\(gone) of \(before) \(kind.label)\(before == 1 ? "" : "s")")
            }
        }
        return phrases
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
    /// Per changed object (`kind/name`), what changed in it. Missing from older coordinators.
    public var fieldChanges: [String: [FieldChange]]?
    /// `true` when the deletions trip ``DeletionGuard`` and the request did not allow them:
    /// a dry run says so, a real apply is refused with 409 `deletions_not_allowed`.
    public var deletionsNeedAllow: Bool?

    public init(revision: Int, created: [String], changed: [String], deleted: [String], unchanged: [String], dryRun: Bool,
                fieldChanges: [String: [FieldChange]]? = nil, deletionsNeedAllow: Bool? = nil) {
        self.revision = revision
        self.created = created
        self.changed = changed
        self.deleted = deleted
        self.unchanged = unchanged
        self.dryRun = dryRun
        self.fieldChanges = fieldChanges
        self.deletionsNeedAllow = deletionsNeedAllow
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
    /// `GET /v1/nodes/{name}` only: the agent version its assignment wants (nil: none) and what
    /// the agent last reported about upgrading to it.
    public var wantedAgentVersion: String?
    public var agentUpgrade: AgentUpgradeStatus?
    /// `GET /v1/nodes/{name}` only: the systemd units the agent last reported failed.
    public var failedUnits: [String]?

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
    /// When the latest snapshot the coordinator holds was captured (`GET /v1/stations/{name}` only).
    public var lastSnapshotAt: Date?

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
    /// Start of the station's first catalog entry ever; the time before it is "no data", not a
    /// gap (the station did not exist or did not record yet). Nil when it never recorded.
    public var recordingSince: Date?

    public init(station: String, from: Date?, to: Date?, segmentSeconds: Int, segments: [SegmentRecord],
                coveredSeconds: Double, gaps: [Gap], recordingSince: Date? = nil) {
        self.station = station
        self.from = from
        self.to = to
        self.segmentSeconds = segmentSeconds
        self.segments = segments
        self.coveredSeconds = coveredSeconds
        self.gaps = gaps
        self.recordingSince = recordingSince
    }

    /// Where the window has data: `from`, or the first recording when that came later.
    public var dataFrom: Date? {
        guard let from else { return recordingSince }
        guard let recordingSince else { return from }
        return max(from, recordingSince)
    }
}

/// `POST /v1/stations/{name}/restart`, `POST /v1/jobs/{kind}/{name}/run`: the queued command(s).
public struct CommandsResponse: Codable, Sendable, Equatable {
    public var commands: [CommandView]
    public init(commands: [CommandView]) { self.commands = commands }
}
