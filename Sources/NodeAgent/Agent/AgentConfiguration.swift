import FoundationEssentials

/// Settings of `fleet-agent run`.
public struct AgentConfiguration: Sendable {
    /// Coordinator base URLs; more than one means failover.
    public var coordinators: [URL]
    public var joinToken: String
    public var name: String
    public var stateDir: String
    /// PEM file of a private CA to verify the coordinator with.
    public var caFile: String?
    /// `HOST:PORT` of the local status endpoint; nil disables it.
    public var statusListen: (host: String, port: Int)?
    public var ffmpegPath: String
    public var ffprobePath: String
    /// Upper bound of the reconnect back-off.
    public var maxBackoff: Duration
    /// Upper bound of the random delay that spreads scheduled jobs (0 runs them on time).
    public var maxJobDelaySeconds: Double
    /// Base64 Ed25519 public key (`--upgrade-public-key`): when set, only builds signed with its
    /// private key are installed.
    public var upgradePublicKey: String?
    /// Seconds a new agent build has to get its first heartbeat acknowledged (`--upgrade-deadline`).
    public var upgradeDeadlineSeconds: Int = 120
    /// Cap of the on-disk journal of queued reports (`--outbox-max-bytes`); see ``ReportJournal``.
    public var outboxMaxBytes: Int64 = ReportJournal.defaultMaxBytes
    /// The agent's own recent log lines (`fleetctl logs node`); nil: that request is refused.
    public var logRing: AgentLogRing?

    public init(coordinators: [URL], joinToken: String, name: String, stateDir: String, caFile: String? = nil,
                statusListen: (host: String, port: Int)? = ("127.0.0.1", 8421), ffmpegPath: String = "ffmpeg",
                ffprobePath: String = "ffprobe", maxBackoff: Duration = .seconds(30), maxJobDelaySeconds: Double = 300) {
        self.coordinators = coordinators
        self.joinToken = joinToken
        self.name = name
        self.stateDir = stateDir
        self.caFile = caFile
        self.statusListen = statusListen
        self.ffmpegPath = ffmpegPath
        self.ffprobePath = ffprobePath
        self.maxBackoff = maxBackoff
        self.maxJobDelaySeconds = maxJobDelaySeconds
    }
}
