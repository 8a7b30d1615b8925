import FoundationEssentials

/// One coordinator instance sharing the store (`GET /v1/coordinators`, `fleetctl get coordinators`).
///
/// ```swift
/// let leader = try await client.call(Endpoints.coordinators).first { $0.leader }
/// ```
public struct CoordinatorView: Codable, Sendable, Equatable {
    /// Random per start of `fleet-coordinator serve`.
    public var id: String
    public var hostname: String
    public var version: String
    /// The URL the instance advertises.
    public var url: String
    public var startedAt: Date
    /// When the instance last refreshed its registration (every lease renewal, a few seconds).
    public var lastSeen: Date
    /// Whether this instance holds the live leader lease: the only one that evaluates alerts,
    /// sends notifications, prunes history and drives rollouts.
    public var leader: Bool
    /// The lease's term (fencing token) while this instance leads; nil otherwise.
    public var term: Int64?

    public init(id: String, hostname: String, version: String, url: String, startedAt: Date, lastSeen: Date,
                leader: Bool, term: Int64?) {
        self.id = id
        self.hostname = hostname
        self.version = version
        self.url = url
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.leader = leader
        self.term = term
    }
}
