import FoundationEssentials

/// Everything one node must run, fully resolved from the inventory.
///
/// The coordinator compiles one `Assignment` per node. Its `revision` is the
/// inventory revision at which this node's assignment last changed, so an
/// apply that does not touch a node leaves its revision alone.
public struct Assignment: Codable, Sendable, Equatable {
    public var node: String
    public var site: String
    public var revision: Int
    public var heartbeatSeconds: Int
    public var recorders: [RecorderSpec]
    public var archives: [ArchiveJobSpec]
    public var backups: [BackupJobSpec]
    /// The agent version this node must run (inventory `agentVersion:`); nil keeps the running agent.
    public var agent: AgentTarget?

    public init(node: String, site: String, revision: Int, heartbeatSeconds: Int,
                recorders: [RecorderSpec] = [], archives: [ArchiveJobSpec] = [], backups: [BackupJobSpec] = [],
                agent: AgentTarget? = nil) {
        self.node = node
        self.site = site
        self.revision = revision
        self.heartbeatSeconds = heartbeatSeconds
        self.recorders = recorders
        self.archives = archives
        self.backups = backups
        self.agent = agent
    }

    /// Every local path this assignment reads or writes; the agent reports storage for each.
    public var localPaths: [String] {
        var paths = Set<String>()
        for recorder in recorders { paths.insert(recorder.outputDir) }
        for archive in archives { for source in archive.sources { paths.insert(source.path) } }
        for backup in backups { paths.insert(backup.sourcePath) }
        return paths.sorted()
    }
}

/// One camera recorder: one ffmpeg process for one station.
public struct RecorderSpec: Codable, Sendable, Equatable, Hashable {
    public var station: String
    public var cameraHost: String
    public var rtspPort: Int
    public var rtspPath: String
    public var username: String?
    /// Path on the node of a file holding the camera password. Never the password itself.
    public var passwordFile: String?
    public var segmentSeconds: Int
    /// Root output folder; segments go to `outputDir/STATION/`.
    public var outputDir: String
    /// No growth of the open segment for this long means stalled.
    public var stallSeconds: Int
    /// `tcp` (default) or `udp`.
    public var rtspTransport: String

    public init(station: String, cameraHost: String, rtspPort: Int = 554, rtspPath: String = "/stream1",
                username: String? = nil, passwordFile: String? = nil, segmentSeconds: Int = 600,
                outputDir: String, stallSeconds: Int = 30, rtspTransport: String = "tcp") {
        self.station = station
        self.cameraHost = cameraHost
        self.rtspPort = rtspPort
        self.rtspPath = rtspPath
        self.username = username
        self.passwordFile = passwordFile
        self.segmentSeconds = segmentSeconds
        self.outputDir = outputDir
        self.stallSeconds = stallSeconds
        self.rtspTransport = rtspTransport
    }

    /// The station's own segment folder.
    public var stationDir: String { outputDir.pathJoining(station) }
}

/// When a job runs: every N seconds, or at a wall-clock time daily or weekly.
public struct JobSchedule: Codable, Sendable, Equatable, Hashable {
    public enum Kind: String, Codable, Sendable { case every, daily, weekly }
    public var kind: Kind
    /// For `every`.
    public var intervalSeconds: Int?
    /// For `weekly`: 1 = Sunday … 7 = Saturday (Calendar's numbering).
    public var weekday: Int?
    /// For `daily`/`weekly`: minutes after local midnight.
    public var minuteOfDay: Int?

    public init(kind: Kind, intervalSeconds: Int? = nil, weekday: Int? = nil, minuteOfDay: Int? = nil) {
        self.kind = kind
        self.intervalSeconds = intervalSeconds
        self.weekday = weekday
        self.minuteOfDay = minuteOfDay
    }

    public static func every(_ seconds: Int) -> JobSchedule { JobSchedule(kind: .every, intervalSeconds: seconds) }
}

/// One folder an archive job takes files from.
public struct ArchiveSource: Codable, Sendable, Equatable, Hashable {
    public var path: String
    /// Set when the folder is a recorder's station folder: its open segment is never taken,
    /// and `{station}` in the target expands to it.
    public var station: String?

    public init(path: String, station: String? = nil) {
        self.path = path
        self.station = station
    }
}

/// Thumbnails made for each archived photo.
public struct ThumbnailSpec: Codable, Sendable, Equatable, Hashable {
    public var width: Int
    public var height: Int
    /// JPEG quality 1–100.
    public var quality: Int
    public var target: String

    public init(width: Int, height: Int, quality: Int, target: String) {
        self.width = width
        self.height = height
        self.quality = quality
        self.target = target
    }
}

/// Copy finished files to a target with verification, then clean up locally.
public struct ArchiveJobSpec: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var sources: [ArchiveSource]
    /// Path template: `{node}` is already expanded; `{station}`, `{yyyy}`, `{mm}`, `{dd}` expand per file.
    public var target: String
    public var schedule: JobSchedule
    /// Verified files older than this are deleted locally.
    public var keepLocalSeconds: Int?
    /// Files in a non-recorder source must be unchanged this long before they are taken.
    public var settleSeconds: Int
    public var thumbnails: ThumbnailSpec?

    public init(name: String, sources: [ArchiveSource], target: String, schedule: JobSchedule,
                keepLocalSeconds: Int? = nil, settleSeconds: Int = 60, thumbnails: ThumbnailSpec? = nil) {
        self.name = name
        self.sources = sources
        self.target = target
        self.schedule = schedule
        self.keepLocalSeconds = keepLocalSeconds
        self.settleSeconds = settleSeconds
        self.thumbnails = thumbnails
    }
}

/// A database or block-device backup.
public struct BackupJobSpec: Codable, Sendable, Equatable, Hashable {
    public enum Kind: String, Codable, Sendable { case sqlite, image }
    public var name: String
    public var kind: Kind
    /// The SQLite database file or the device/image file.
    public var sourcePath: String
    /// `zstd` or `gzip` (image backups; SQLite backups are compressed with zstd too).
    public var compress: String?
    /// Target folder with `{node}` expanded.
    public var target: String
    public var schedule: JobSchedule
    /// Keep this many backups on the target; older ones are pruned.
    public var keep: Int?

    public init(name: String, kind: Kind, sourcePath: String, compress: String? = nil, target: String,
                schedule: JobSchedule, keep: Int? = nil) {
        self.name = name
        self.kind = kind
        self.sourcePath = sourcePath
        self.compress = compress
        self.target = target
        self.schedule = schedule
        self.keep = keep
    }
}
