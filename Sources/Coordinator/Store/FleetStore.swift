import FleetProtocol
import Foundation

/// A node's credential as stored: only the SHA-256 of its token, never the token.
public struct NodeCredential: Sendable, Equatable {
    public var name: String
    public var tokenHash: String
    public var registeredAt: Date

    public init(name: String, tokenHash: String, registeredAt: Date) {
        self.name = name
        self.tokenHash = tokenHash
        self.registeredAt = registeredAt
    }
}

/// The last known state of a node, flushed periodically from memory.
public struct NodeSnapshot: Sendable, Equatable {
    public var name: String
    public var lastHeartbeat: Date
    public var agentVersion: String
    public var appliedRevision: Int
    /// The last report without its one-shot items (events, segments, runs, results).
    public var report: StatusReport

    public init(name: String, lastHeartbeat: Date, agentVersion: String, appliedRevision: Int, report: StatusReport) {
        self.name = name
        self.lastHeartbeat = lastHeartbeat
        self.agentVersion = agentVersion
        self.appliedRevision = appliedRevision
        self.report = report
    }
}

/// Snapshots other coordinators changed, and the cursor to read the next changes from.
public struct SnapshotChanges: Sendable, Equatable {
    public var snapshots: [NodeSnapshot]
    /// The newest change marker read (the store's clock), or the cursor given when nothing
    /// changed: pass it to the next ``FleetStore/snapshotsChanged(since:overlap:excludingWriter:)``.
    public var cursor: Date?

    public init(snapshots: [NodeSnapshot], cursor: Date?) {
        self.snapshots = snapshots
        self.cursor = cursor
    }
}

/// The join token as coordinators sharing one store know it: only its SHA-256, its expiry
/// and when it was rotated. Kept in the store's `meta` table as JSON under `join_token`.
public struct SharedJoinToken: Codable, Sendable, Equatable {
    public var hash: String
    public var expiresAt: Date?
    public var rotatedAt: Date

    public init(hash: String, expiresAt: Date?, rotatedAt: Date) {
        self.hash = hash
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
    }
}

/// The desired state as of one inventory revision.
public struct StoredDesiredState: Sendable {
    public var revision: Int
    /// The compiled inventory, JSON.
    public var desired: Data
    public var assignments: [String: Assignment]

    public init(revision: Int, desired: Data, assignments: [String: Assignment]) {
        self.revision = revision
        self.desired = desired
        self.assignments = assignments
    }
}

/// One applied revision, for history: the wire type `RevisionView` (`GET /v1/revisions`).
public typealias RevisionRecord = RevisionView

/// The inventory a revision was applied from: the files as sent and the names of the
/// `${NAME}` variables they reference. Variable values are not stored: they may hold
/// secrets (a webhook URL's credentials), so re-applying a revision needs them again.
///
/// ```swift
/// let inventory = RevisionInventory(files: [ApplyRequest.File(path: "fleet.yaml", content: "sites: …")],
///                                   variables: ["DEMO_DIR"])
/// ```
public struct RevisionInventory: Codable, Sendable, Equatable {
    public var files: [ApplyRequest.File]
    public var variables: [String]

    public init(files: [ApplyRequest.File], variables: [String]) {
        self.files = files
        self.variables = variables
    }
}

/// One stored revision: its history record and, unless it was stored before revisions kept
/// their inventory, the inventory it was applied from.
public struct StoredRevision: Sendable, Equatable {
    public var record: RevisionRecord
    public var inventory: RevisionInventory?

    public init(record: RevisionRecord, inventory: RevisionInventory?) {
        self.record = record
        self.inventory = inventory
    }
}

/// Errors of a store backend, with context for the log.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case unavailable(String)
    /// The database server cannot be reached now (connection refused, no answer, shutting
    /// down or starting up): nothing was stored; it clears by itself when the server is back.
    case unreachable(String)
    case corrupt(String)
    /// The disk under the store is full: nothing was written.
    case full(String)
    /// The store's files or file system are read-only: nothing was written.
    case readOnly(String)
    /// The database holds migrations this coordinator does not know: a newer coordinator
    /// upgraded it. Nothing was changed.
    case schemaTooNew(store: String, unknown: [String])

    public var description: String {
        switch self {
        case .unavailable(let detail): return "store unavailable: \(detail)"
        case .unreachable(let detail): return "database unreachable: \(detail)"
        case .corrupt(let detail): return "store holds unreadable data: \(detail)"
        case .full(let detail): return "the coordinator's disk is full (\(detail)); nothing was stored"
        case .readOnly(let detail): return "the coordinator's store is read-only (\(detail)); nothing was stored"
        case .schemaTooNew(let store, let unknown):
            return "\(store) has a schema newer than this coordinator knows (migrations \(unknown.joined(separator: ", "))); "
                + "run a fleet-coordinator at least as new as the one that upgraded it"
        }
    }

    /// Whether two errors are the same condition (same case, whatever the detail): a database
    /// that stays unreachable is one condition, however each attempt failed.
    public static func sameCondition(_ first: StoreError?, _ second: StoreError?) -> Bool {
        switch (first, second) {
        case (nil, nil), (.full?, .full?), (.readOnly?, .readOnly?), (.unreachable?, .unreachable?): return true
        default: return first == second
        }
    }

    /// True for conditions that clear by themselves once an operator frees space, remounts
    /// or the database server is back: the coordinator reports not ready meanwhile.
    public var isWriteCondition: Bool {
        switch self {
        case .full, .readOnly, .unreachable: return true
        case .unavailable, .corrupt, .schemaTooNew: return false
        }
    }
}

/// The coordinator's persistence seam. SQLite is the default; a PostgreSQL backend
/// implements the same protocol and runs the same contract tests.
///
/// A backend implements storage only: the rules of the domain (how a re-reported segment
/// merges, which commands are still open, what retention keeps) live in the coordinator
/// and arrive as arguments. Every method is atomic on its own. Items with ids are
/// idempotent: storing an id twice keeps the first.
///
/// ```swift
/// let store: any FleetStore = try SQLiteFleetStore(path: "/var/lib/stationfleet/coordinator.sqlite")
/// try await store.migrate()
/// try await store.recordSegments(report.segments, node: "pi1", merge: SegmentMerge.merge)
/// ```
public protocol FleetStore: AlertStore {
    /// Create or upgrade the schema.
    func migrate() async throws
    /// Readiness probe for `/readyz`: the store is reachable and accepts a small write.
    func ping() async throws

    // MARK: Desired state
    func loadDesiredState() async throws -> StoredDesiredState?
    /// Commit a new revision atomically: the desired state, the assignments of the nodes
    /// that changed, the removal of assignments of deleted nodes, and a history record with
    /// the inventory it was applied from (`record.files` is not stored; `inventory` is).
    func commitRevision(_ record: RevisionRecord, inventory: RevisionInventory?, desired: Data,
                        changedAssignments: [Assignment], deletedNodes: [String]) async throws
    /// History records, newest first, without their inventories.
    func revisions(limit: Int) async throws -> [RevisionRecord]

    // MARK: Rollouts
    /// Insert or replace the rollout of `rollout.revision`.
    func saveRollout(_ rollout: StoredRollout) async throws
    /// The rollout with the highest revision not above `revision`, if any.
    func loadLatestRollout(upTo revision: Int) async throws -> StoredRollout?
    /// One revision with its inventory (`nil` inventory: stored before revisions kept it);
    /// `nil` when there is no such revision.
    func revision(_ number: Int) async throws -> StoredRevision?

    // MARK: Credentials
    func credentials() async throws -> [NodeCredential]
    /// The credential whose token hashes to `tokenHash`, if any: one indexed single-row
    /// lookup, for a token this instance's registry does not know (registered through
    /// another coordinator on the same database).
    func credential(tokenHash: String) async throws -> NodeCredential?
    /// The credential of node `name`, if any: one row by primary key, for following another
    /// coordinator's announcement that this node's credential changed.
    func credential(node name: String) async throws -> NodeCredential?
    /// Stores a credential. Returns false, storing nothing, when the name already holds one.
    func insertCredential(_ credential: NodeCredential) async throws -> Bool
    /// The join token the coordinators sharing this store accept (its hash), nil before one
    /// was stored.
    func sharedJoinToken() async throws -> SharedJoinToken?
    /// Replaces the shared join token.
    func saveSharedJoinToken(_ token: SharedJoinToken) async throws
    /// Removes a credential. Returns false when there was none.
    func deleteCredential(node: String) async throws -> Bool

    // MARK: Node status
    /// Upserts snapshots in one batch, marking each row changed now (on the store's clock) by
    /// `writer` (the instance's id). Never moves a node's last heartbeat backwards: a stored
    /// row with a newer `lastHeartbeat` is kept as it is.
    func saveSnapshots(_ snapshots: [NodeSnapshot], writer: String) async throws
    func loadSnapshots() async throws -> [NodeSnapshot]
    /// Snapshots changed after `cursor - overlap` (all of them when `cursor` is nil), oldest
    /// change first, leaving out rows `excludingWriter` wrote. The overlap re-reads rows whose
    /// transaction committed after a newer one was already read; merging them is idempotent.
    func snapshotsChanged(since cursor: Date?, overlap: TimeInterval, excludingWriter: String?) async throws -> SnapshotChanges
    func deleteSnapshot(node: String) async throws

    // MARK: Reported items
    func recordEvents(_ events: [AgentEvent], node: String) async throws
    func recentEvents(node: String?, station: String?, limit: Int) async throws -> [AgentEvent]
    /// Stores each segment under (station, name) as `merge(stored, segment)`, reading and
    /// writing in one transaction so that concurrent reports of one segment do not race.
    func recordSegments(_ segments: [SegmentRecord], node: String,
                        merge: @escaping @Sendable (SegmentRecord?, SegmentRecord) -> SegmentRecord) async throws
    func segments(station: String, from: Date?, to: Date?) async throws -> [SegmentRecord]
    /// The station's earliest catalog entry by start (valid or not); nil when it has none.
    func firstSegment(station: String) async throws -> SegmentRecord?
    func recordJobRuns(_ runs: [JobRun], node: String) async throws

    // MARK: Commands
    func saveCommand(_ command: CommandView) async throws
    func command(id: String) async throws -> CommandView?
    /// Commands in any of `states`, oldest first.
    func commands(inStates states: [CommandView.State]) async throws -> [CommandView]
    func recentCommands(target: String, limit: Int) async throws -> [CommandView]

    // MARK: Retention
    /// Deletes events, job runs and commands not in `keepingCommandStates` older than
    /// `cutoff`; returns how many rows went. The recordings catalog is not touched.
    func pruneHistory(before cutoff: Date, keepingCommandStates: [CommandView.State]) async throws -> Int
}

extension FleetStore {
    /// ``saveSnapshots(_:writer:)`` by a single coordinator (no writer id).
    public func saveSnapshots(_ snapshots: [NodeSnapshot]) async throws {
        try await saveSnapshots(snapshots, writer: "")
    }

    /// ``commitRevision(_:inventory:desired:changedAssignments:deletedNodes:)`` without an inventory.
    public func commitRevision(_ record: RevisionRecord, desired: Data, changedAssignments: [Assignment],
                               deletedNodes: [String]) async throws {
        try await commitRevision(record, inventory: nil, desired: desired, changedAssignments: changedAssignments,
                                 deletedNodes: deletedNodes)
    }
}
