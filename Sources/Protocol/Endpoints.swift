import FoundationEssentials

/// The coordinator's HTTP API: every endpoint, declared once.
///
/// The coordinator registers its routes from this catalogue, the agent and fleetctl build
/// their paths from it, and tests check that the server routes every entry of ``all``.
///
/// Auth: `Authorization: Bearer TOKEN`. The join token may only `register`; a node token
/// only its own `heartbeat` and `watch`; every admin endpoint needs the admin token.
///
/// ```swift
/// let path = Endpoints.station.path("ROST1")          // "/v1/stations/ROST1"
/// let method = Endpoints.station.method.rawValue      // "GET"
/// let adminOnly = Endpoints.all.filter { $0.access == .admin }
/// ```
public enum Endpoints {
    // MARK: Public

    public static let healthz = Endpoint<EmptyBody, PlainText>(.get, "/healthz", access: .public,
                                                                summary: "liveness")
    public static let readyz = Endpoint<EmptyBody, PlainText>(.get, "/readyz", access: .public,
                                                               summary: "readiness: the store answers")
    public static let metrics = Endpoint<EmptyBody, PlainText>(.get, "/metrics", access: .public,
                                                                summary: "Prometheus text format")

    // MARK: Join token

    public static let register = Endpoint<RegistrationRequest, RegistrationResponse>(
        .post, "/v1/register", access: .join, summary: "a node announces itself and gets its credential (201)")

    // MARK: Node token (own node only)

    /// Body: a full ``StatusReport`` or a ``StatusDelta`` (409 `status_base_unknown`: send a full one).
    public static let heartbeat = Endpoint<Heartbeat, StatusAck>(
        .post, "/v1/nodes/{name}/heartbeat", access: .node, summary: "liveness plus status (full or delta)")
    /// Liveness alone, without a body: the node's status is still the one held as `base`.
    /// Query: `base=SEQUENCE`, `revision=N` (the agent's applied revision). Answers 204 with no
    /// body when that base is held and `revision` is the desired one — the common heartbeat of
    /// an idle node, a single HTTP/2 HEADERS frame each way on a metered link; otherwise a
    /// ``StatusAck`` (200), or 409 `status_base_unknown` (send a full report).
    public static let heartbeatUnchanged = Endpoint<EmptyBody, StatusAck>(
        .post, "/v1/nodes/{name}/heartbeat/unchanged", access: .node, query: ["base", "revision"],
        summary: "liveness only: status unchanged since `base` (204 when nothing is news)")
    /// Query: `revision=N` (the agent's applied revision), optional `timeout=SECONDS`
    /// (≤ ``WatchLimits/maxSeconds``).
    public static let watch = Endpoint<EmptyBody, WatchResponse>(
        .get, "/v1/nodes/{name}/watch", access: .node, query: ["revision", "timeout"],
        summary: "long poll for a newer assignment or commands")

    // MARK: Admin token

    public static let apply = Endpoint<ApplyRequest, ApplyResult>(
        .post, "/v1/apply", access: .admin, summary: "apply (or with dryRun, diff) an inventory")
    public static let nodes = Endpoint<EmptyBody, [NodeView]>(.get, "/v1/nodes", access: .admin)
    public static let node = Endpoint<EmptyBody, NodeView>(.get, "/v1/nodes/{name}", access: .admin)
    public static let nodeReset = Endpoint<EmptyBody, EmptyBody>(
        .post, "/v1/nodes/{name}/reset", access: .admin, summary: "revoke the node's credential (204)")
    public static let nodeDelete = Endpoint<EmptyBody, EmptyBody>(
        .delete, "/v1/nodes/{name}", access: .admin,
        summary: "remove a node the inventory does not list: credential, liveness, last report (204)")
    public static let joinTokenRotate = Endpoint<JoinTokenRotation, RotatedJoinToken>(
        .post, "/v1/tokens/join/rotate", access: .admin,
        summary: "replace the join token (the old one stops working), optionally with an expiry")
    public static let stations = Endpoint<EmptyBody, [StationView]>(.get, "/v1/stations", access: .admin)
    public static let station = Endpoint<EmptyBody, StationView>(.get, "/v1/stations/{name}", access: .admin)
    public static let stationRestart = Endpoint<EmptyBody, CommandsResponse>(
        .post, "/v1/stations/{name}/restart", access: .admin, summary: "queue a recorder restart (202)")
    /// Query: `from`, `to` (ISO 8601).
    public static let recordings = Endpoint<EmptyBody, RecordingsView>(
        .get, "/v1/stations/{name}/recordings", access: .admin, query: ["from", "to"],
        summary: "catalog coverage and gaps")
    /// Query: `from`, `to` (ISO 8601; default the last 24 hours).
    public static let coverage = Endpoint<EmptyBody, [StationCoverageView]>(
        .get, "/v1/coverage", access: .admin, query: ["from", "to"],
        summary: "every station's recorded share of a span")
    public static let sites = Endpoint<EmptyBody, [SiteView]>(.get, "/v1/sites", access: .admin)
    public static let site = Endpoint<EmptyBody, SiteView>(.get, "/v1/sites/{name}", access: .admin)
    public static let assignments = Endpoint<EmptyBody, [Assignment]>(.get, "/v1/assignments", access: .admin)
    public static let assignment = Endpoint<EmptyBody, Assignment>(.get, "/v1/assignments/{node}", access: .admin)
    /// `kind` is `archive` or `backup`; query `node=` picks one node.
    public static let jobRun = Endpoint<EmptyBody, CommandsResponse>(
        .post, "/v1/jobs/{kind}/{name}/run", access: .admin, query: ["node"], summary: "queue a job run (202)")
    public static let command = Endpoint<EmptyBody, CommandView>(.get, "/v1/commands/{id}", access: .admin)
    public static let revisions = Endpoint<EmptyBody, [RevisionView]>(
        .get, "/v1/revisions", access: .admin, summary: "recently applied revisions, newest first")
    public static let revision = Endpoint<EmptyBody, RevisionView>(
        .get, "/v1/revisions/{rev}", access: .admin, summary: "one revision with its inventory files")
    /// Body: the other revision (`to`, default the current one) and the `${NAME}` values.
    public static let revisionDiff = Endpoint<RevisionDiffRequest, RevisionDiffView>(
        .post, "/v1/revisions/{rev}/diff", access: .admin,
        summary: "what changed, field by field, from this stored revision to another")
    public static let revisionReapply = Endpoint<ReapplyRequest, ApplyResult>(
        .post, "/v1/revisions/{rev}/reapply", access: .admin,
        summary: "apply a stored revision's inventory again, as a new revision (rollout undo)")
    public static let rollout = Endpoint<EmptyBody, RolloutStatusResponse>(
        .get, "/v1/rollout", access: .admin, summary: "the current staged rollout: per node state and reason, what it waits for")
    /// `{action}` is pause, resume, promote or abort; 409 when the rollout's state does not allow it.
    public static let rolloutControl = Endpoint<EmptyBody, RolloutStatusView>(
        .post, "/v1/rollout/{action}", access: .admin, summary: "pause, resume, promote or abort the current rollout")

    public static let alertRoutes = Endpoint<EmptyBody, AlertRouteTreeView>(
        .get, "/v1/alerts/routes", access: .admin, summary: "the applied alert route tree, settings inherited")
    public static let alertRoutesTest = Endpoint<AlertRouteTestRequest, [AlertRouteResult]>(
        .post, "/v1/alerts/routes/test", access: .admin,
        summary: "the routes (receivers, grouping, intervals) an alert with these labels reaches, in order")

    /// `fleetctl agent publish`: the body is the binary itself (at most `AgentBuild.maxSize`);
    /// the coordinator checks `sha256` and `size` against the bytes and refuses a different build
    /// under an existing version and arch (409).
    public static let agentBuildPublish = Endpoint<BinaryBody, AgentBuildView>(
        .post, "/v1/agent/builds/{version}/{arch}", access: .admin, query: ["sha256", "signature"],
        summary: "store an agent build (raw bytes) under a version and architecture")
    public static let agentBuilds = Endpoint<EmptyBody, [AgentBuildView]>(
        .get, "/v1/agent/builds", access: .admin, summary: "the published agent builds and how many nodes want each")
    /// A node fetches only a build its own assignment wants. Honours `Range: bytes=N-` (206) so
    /// that a download over a flaky link resumes.
    public static let agentBuildDownload = Endpoint<EmptyBody, BinaryBody>(
        .get, "/v1/nodes/{name}/agent-build/{version}/{arch}", access: .node,
        summary: "the agent build this node's assignment wants (resumable with Range)")

    // MARK: Remote logs and snapshots (Sources/Coordinator/RemoteOutput)

    /// Queues a log request for the station's node (202); 409 at once when the node is offline.
    public static let stationLogs = Endpoint<LogRequest, CommandView>(
        .post, "/v1/stations/{name}/logs", access: .admin,
        summary: "ask the station's node for its recorder log (202); read it with commandLogs")
    /// Queues a request for the agent's own recent log (202); 409 at once when the node is offline.
    public static let nodeLogs = Endpoint<LogRequest, CommandView>(
        .post, "/v1/nodes/{name}/logs", access: .admin,
        summary: "ask a node for the agent's own recent log (202); read it with commandLogs")
    /// Query: `cursor=N` (lines before it were read), `wait=SECONDS` (≤ 25) to hold the call while
    /// nothing new is there. A POST so that it stays admin only (a viewer reads no logs); each call
    /// tells the coordinator that the caller still follows.
    public static let commandLogs = Endpoint<EmptyBody, LogChunk>(
        .post, "/v1/commands/{id}/logs", access: .admin, query: ["cursor", "wait"],
        summary: "the lines a log command brought so far, from a cursor (long poll)")
    /// Queues a snapshot of the station's camera (202); 409 at once when the node is offline.
    public static let snapshotRequest = Endpoint<EmptyBody, CommandView>(
        .post, "/v1/stations/{name}/snapshot", access: .admin,
        summary: "ask the station's node for a JPEG of the newest complete segment (202)")
    /// The latest snapshot this coordinator holds for the station (404 when none).
    public static let snapshot = Endpoint<EmptyBody, SnapshotView>(
        .get, "/v1/stations/{name}/snapshot", access: .admin,
        summary: "the latest snapshot of the station: JPEG (base64) and capture time")
    /// The agent's answer to `stationLogs`/`nodeLogs`: only for its own node and its own open command.
    public static let logUpload = Endpoint<LogUpload, LogUploadAck>(
        .post, "/v1/nodes/{name}/commands/{id}/logs", access: .node,
        summary: "a node uploads log lines for its open log command; the answer says whether anyone follows")
    /// The agent's answer to `snapshot`: only for its own node and its own open command.
    public static let snapshotUpload = Endpoint<SnapshotUpload, EmptyBody>(
        .post, "/v1/nodes/{name}/commands/{id}/snapshot", access: .node,
        summary: "a node uploads the JPEG for its open snapshot command (204)")

    /// The coordinator instances sharing the store, most recently seen first, and which one leads.
    public static let coordinators = Endpoint<EmptyBody, [CoordinatorView]>(
        .get, "/v1/coordinators", access: .admin,
        summary: "coordinator instances sharing the store and which one holds the leader lease")

    /// Every endpoint, for docs and tests.
    public static let all: [EndpointDescription] = [
        healthz.info, readyz.info, metrics.info,
        register.info,
        heartbeat.info, heartbeatUnchanged.info, watch.info,
        apply.info, nodes.info, node.info, nodeReset.info,
        stations.info, station.info, stationRestart.info, recordings.info, coverage.info,
        sites.info, site.info, assignments.info, assignment.info,
        jobRun.info, command.info, revisions.info, revision.info, revisionDiff.info, revisionReapply.info,
        rollout.info, rolloutControl.info,
        nodeDelete.info,
        alertRoutes.info, alertRoutesTest.info,
        agentBuildPublish.info, agentBuilds.info, agentBuildDownload.info,
        coordinators.info,
        stationLogs.info, nodeLogs.info, commandLogs.info, snapshotRequest.info, snapshot.info,
        logUpload.info, snapshotUpload.info,
    ] + alerting + dashboardEndpoints + [
        joinTokenRotate.info,  // last: calling it invalidates the join token
    ]
}

/// `POST /v1/tokens/join/rotate`: how long the new join token is valid (nil: until rotated).
public struct JoinTokenRotation: Codable, Sendable, Equatable {
    public var validForSeconds: Int?

    public init(validForSeconds: Int? = nil) {
        self.validForSeconds = validForSeconds
    }
}

/// The new join token, shown once, and the file the coordinator keeps it in.
public struct RotatedJoinToken: Codable, Sendable, Equatable {
    public var token: String
    public var path: String
    public var expiresAt: Date?

    public init(token: String, path: String, expiresAt: Date?) {
        self.token = token
        self.path = path
        self.expiresAt = expiresAt
    }
}
