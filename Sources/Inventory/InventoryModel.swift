import Foundation
import FleetProtocol

/// A whole fleet inventory as declared in one or more YAML files, validated.
///
/// Load it with `Inventory.load(files:environment:)` and turn it into what each
/// node must run with `compile()`. Maps are keyed by name.
///
/// ```swift
/// let inventory = try Inventory.load(files: [ApplyRequest.File(path: "fleet.yaml", content: yaml)])
/// let desired = try inventory.compile()          // one Assignment per node
/// // errors: `error.diagnostics` as FILE:LINE:COLUMN: message
/// ```
public struct Inventory: Codable, Sendable, Equatable {
    public var sites: [String: SiteConfig]
    public var defaults: InventoryDefaults
    public var nodes: [String: NodeConfig]
    public var stations: [String: StationConfig]
    public var archives: [String: ArchiveConfig]
    public var backups: [String: BackupConfig]
    /// Nil when no file has an `alerts` block.
    public var alerts: AlertsConfig?
    /// Where each `agentVersion` was written (`defaults`, `site/NAME`, `node/NAME`), for
    /// positioned errors when compiling against the published agent builds.
    public var agentVersionPositions: [String: SourcePosition] = [:]

    public init(sites: [String: SiteConfig] = [:], defaults: InventoryDefaults = InventoryDefaults(),
                nodes: [String: NodeConfig] = [:], stations: [String: StationConfig] = [:],
                archives: [String: ArchiveConfig] = [:], backups: [String: BackupConfig] = [:],
                alerts: AlertsConfig? = nil) {
        self.sites = sites
        self.defaults = defaults
        self.nodes = nodes
        self.stations = stations
        self.archives = archives
        self.backups = backups
        self.alerts = alerts
    }
}

/// A site: a place with nodes, used to group alerts.
public struct SiteConfig: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var labels: [String: String]
    /// The site's own `rollout:` block; nil = `defaults.rollout`.
    public var rollout: RolloutStrategy?
    /// The agent version of the site's nodes; nil = `defaults.agentVersion`.
    public var agentVersion: String?
    /// How often the site's nodes report (a metered link reports less); nil = `defaults`.
    public var heartbeatSeconds: Int?

    public init(name: String, labels: [String: String] = [:], rollout: RolloutStrategy? = nil, agentVersion: String? = nil,
                heartbeatSeconds: Int? = nil) {
        self.name = name
        self.labels = labels
        self.rollout = rollout
        self.agentVersion = agentVersion
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// A node: one machine running `fleet-agent`.
public struct NodeConfig: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var site: String
    public var labels: [String: String]
    /// The node's own agent version; nil = its site's, else `defaults.agentVersion`.
    public var agentVersion: String?
    /// The node's own heartbeat interval; nil = its site's, else `defaults.heartbeatSeconds`.
    public var heartbeatSeconds: Int?

    public init(name: String, site: String, labels: [String: String] = [:], agentVersion: String? = nil,
                heartbeatSeconds: Int? = nil) {
        self.name = name
        self.site = site
        self.labels = labels
        self.agentVersion = agentVersion
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// The `defaults` block.
public struct InventoryDefaults: Codable, Sendable, Equatable, Hashable {
    public var heartbeatSeconds: Int
    public var recorder: RecorderDefaults
    /// `defaults.rollout`; nil (and no site's own) = every changed node at once.
    public var rollout: RolloutStrategy?
    /// `defaults.agentVersion`: the agent version of every node without its own or its site's;
    /// nil = keep whatever agent runs.
    public var agentVersion: String?

    public init(heartbeatSeconds: Int = 10, recorder: RecorderDefaults = RecorderDefaults(),
                rollout: RolloutStrategy? = nil, agentVersion: String? = nil) {
        self.heartbeatSeconds = heartbeatSeconds
        self.recorder = recorder
        self.rollout = rollout
        self.agentVersion = agentVersion
    }
}

/// `defaults.recorder`: what every station uses unless it overrides a field.
public struct RecorderDefaults: Codable, Sendable, Equatable, Hashable {
    public var segmentSeconds: Int
    public var rtspPort: Int
    public var rtspPath: String
    public var username: String?
    /// Path of a file holding the camera password, on the node.
    public var passwordFile: String?
    public var outputDir: String
    public var stallSeconds: Int
    /// `tcp` or `udp`.
    public var rtspTransport: String

    public init(segmentSeconds: Int = 600, rtspPort: Int = 554, rtspPath: String = "/stream1",
                username: String? = nil, passwordFile: String? = nil,
                outputDir: String = "/var/lib/stationfleet/recordings", stallSeconds: Int = 30,
                rtspTransport: String = "tcp") {
        self.segmentSeconds = segmentSeconds
        self.rtspPort = rtspPort
        self.rtspPath = rtspPath
        self.username = username
        self.passwordFile = passwordFile
        self.outputDir = outputDir
        self.stallSeconds = stallSeconds
        self.rtspTransport = rtspTransport
    }

    /// The recorder for `station`: these defaults with the station's own settings winning.
    public func resolved(for station: StationConfig) -> RecorderSpec {
        let camera = station.camera
        return RecorderSpec(station: station.name, cameraHost: camera.host,
                            rtspPort: camera.rtspPort ?? rtspPort,
                            rtspPath: camera.rtspPath ?? rtspPath,
                            username: camera.username ?? username,
                            passwordFile: camera.passwordFile ?? passwordFile,
                            segmentSeconds: camera.segmentSeconds ?? segmentSeconds,
                            outputDir: camera.outputDir ?? outputDir,
                            stallSeconds: camera.stallSeconds ?? stallSeconds,
                            rtspTransport: camera.rtspTransport ?? rtspTransport)
    }
}

/// A station: one camera recorded by one node.
public struct StationConfig: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var node: String
    public var camera: CameraConfig

    public init(name: String, node: String, camera: CameraConfig) {
        self.name = name
        self.node = node
        self.camera = camera
    }
}

/// A station's camera and its overrides of `defaults.recorder` (nil = use the default).
/// Overrides may be written on the station or inside `camera:`; both land here.
public struct CameraConfig: Codable, Sendable, Equatable, Hashable {
    public var host: String
    public var segmentSeconds: Int?
    public var rtspPort: Int?
    public var rtspPath: String?
    public var username: String?
    public var passwordFile: String?
    public var outputDir: String?
    public var stallSeconds: Int?
    public var rtspTransport: String?

    public init(host: String, segmentSeconds: Int? = nil, rtspPort: Int? = nil, rtspPath: String? = nil,
                username: String? = nil, passwordFile: String? = nil, outputDir: String? = nil,
                stallSeconds: Int? = nil, rtspTransport: String? = nil) {
        self.host = host
        self.segmentSeconds = segmentSeconds
        self.rtspPort = rtspPort
        self.rtspPath = rtspPath
        self.username = username
        self.passwordFile = passwordFile
        self.outputDir = outputDir
        self.stallSeconds = stallSeconds
        self.rtspTransport = rtspTransport
    }
}

/// Where an archive job takes its files from.
public enum ArchiveSourceConfig: Codable, Sendable, Equatable, Hashable {
    /// `source: recordings`: each station folder of the node's recorders.
    case recordings
    /// An absolute folder on the node.
    case path(String)
}

/// An archive job run on each of `nodes`.
public struct ArchiveConfig: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var nodes: [String]
    public var source: ArchiveSourceConfig
    /// Path template; `{node}` expands at compile time, the rest per file on the agent.
    public var target: String
    public var schedule: JobSchedule
    public var keepLocalSeconds: Int?
    public var settleSeconds: Int
    public var thumbnails: ThumbnailSpec?

    public init(name: String, nodes: [String], source: ArchiveSourceConfig, target: String, schedule: JobSchedule,
                keepLocalSeconds: Int? = nil, settleSeconds: Int = 60, thumbnails: ThumbnailSpec? = nil) {
        self.name = name
        self.nodes = nodes
        self.source = source
        self.target = target
        self.schedule = schedule
        self.keepLocalSeconds = keepLocalSeconds
        self.settleSeconds = settleSeconds
        self.thumbnails = thumbnails
    }
}

/// A backup job (SQLite database or block device image) run on each of `nodes`.
public struct BackupConfig: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var nodes: [String]
    public var kind: BackupJobSpec.Kind
    public var sourcePath: String
    /// `zstd`, `gzip`, or nil for none (`compress: none`).
    public var compress: String?
    /// Target folder; `{node}` expands at compile time.
    public var target: String
    public var schedule: JobSchedule
    public var keep: Int?

    public init(name: String, nodes: [String], kind: BackupJobSpec.Kind, sourcePath: String, compress: String?,
                target: String, schedule: JobSchedule, keep: Int? = nil) {
        self.name = name
        self.nodes = nodes
        self.kind = kind
        self.sourcePath = sourcePath
        self.compress = compress
        self.target = target
        self.schedule = schedule
        self.keep = keep
    }
}
