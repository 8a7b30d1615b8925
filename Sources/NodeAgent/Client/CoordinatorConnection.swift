import FleetProtocol
import FoundationEssentials

/// What the agent needs from a coordinator: registration, heartbeats and the long-poll watch.
///
/// ``CoordinatorClient`` is the real one (HTTP with failover); ``NodeAgent`` takes any
/// conforming value, so its own logic can be exercised without a network.
///
/// ```swift
/// let client = try CoordinatorClient(urls: coordinatorURLs, caFile: nil, logger: logger)
/// let connection: any CoordinatorConnection = client
/// let answer = try await connection.register(request, joinToken: token)
/// let watch = try await connection.watch(node: answer.name, token: answer.nodeToken, knownRevision: 0)
/// ```
public protocol CoordinatorConnection: Sendable {
    /// Registers a node with a join token; answers with its credential.
    func register(_ request: RegistrationRequest, joinToken: String) async throws -> RegistrationResponse
    /// Sends a status report; the answer says which assignment revision the coordinator wants.
    func heartbeat(node: String, token: String, report: StatusReport) async throws -> StatusAck
    /// Sends a full report or a delta; a delta against a status the coordinator does not hold
    /// throws ``CoordinatorClientError/statusBaseUnknown(_:)``.
    func heartbeat(node: String, token: String, body: Heartbeat) async throws -> StatusAck
    /// Liveness alone while the status is still the one held as `base` (no body); nil when the
    /// coordinator answered "held, and `revision` is the desired one" (204).
    func heartbeatUnchanged(node: String, token: String, base: Int, revision: Int) async throws -> StatusAck?
    /// Waits up to `timeoutSeconds` for an assignment newer than `knownRevision` or for commands.
    func watch(node: String, token: String, knownRevision: Int, timeoutSeconds: Int) async throws -> WatchResponse
    /// The coordinator currently in use (for logs).
    var currentURL: URL { get async }
    /// Releases connections; called once when the agent stops.
    func shutdown() async
    /// Downloads an agent build this node's assignment wants into `part` (resuming it) and
    /// verifies size and SHA-256; throws ``BuildDownloader/Failure``.
    func downloadAgentBuild(node: String, token: String, build: AgentBuild, part: String,
                            progress: @escaping @Sendable (Int64, Int64) async -> Void) async throws
    /// Uploads log lines for an open log command; the answer says whether anyone still follows.
    func uploadLogs(node: String, token: String, command: String, _ upload: LogUpload) async throws -> LogUploadAck
    /// Uploads the JPEG for an open snapshot command.
    func uploadSnapshot(node: String, token: String, command: String, _ upload: SnapshotUpload) async throws
}

extension CoordinatorConnection {
    /// The watch with the agent's usual long-poll (``WatchLimits/agentSeconds``).
    public func watch(node: String, token: String, knownRevision: Int) async throws -> WatchResponse {
        try await watch(node: node, token: token, knownRevision: knownRevision, timeoutSeconds: WatchLimits.agentSeconds)
    }

    /// For connections that take only full reports (test stand-ins): they never name a
    /// ``StatusAck/statusBase``, so an agent never sends them a delta.
    public func heartbeat(node: String, token: String, body: Heartbeat) async throws -> StatusAck {
        switch body {
        case .full(let report): return try await heartbeat(node: node, token: token, report: report)
        case .delta: throw CoordinatorClientError.statusBaseUnknown("this connection takes only full reports")
        }
    }

    /// For connections without the bodiless heartbeat: an empty delta says the same.
    public func heartbeatUnchanged(node: String, token: String, base: Int, revision: Int) async throws -> StatusAck? {
        try await heartbeat(node: node, token: token, body: .delta(StatusDelta(base: base)))
    }
}

extension CoordinatorConnection {
    public func downloadAgentBuild(node: String, token: String, build: AgentBuild, part: String,
                                   progress: @escaping @Sendable (Int64, Int64) async -> Void) async throws {
        throw BuildDownloader.Failure(reason: .downloadFailed, detail: "this connection cannot download agent builds")
    }
}

extension CoordinatorConnection {
    public func uploadLogs(node: String, token: String, command: String, _ upload: LogUpload) async throws -> LogUploadAck {
        throw CoordinatorClientError.badResponse("this connection cannot upload logs")
    }

    public func uploadSnapshot(node: String, token: String, command: String, _ upload: SnapshotUpload) async throws {
        throw CoordinatorClientError.badResponse("this connection cannot upload snapshots")
    }
}

extension CoordinatorClient: CoordinatorConnection {}
