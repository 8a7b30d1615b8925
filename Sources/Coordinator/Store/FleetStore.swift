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

/// One applied revision, for history.
public struct RevisionRecord: Sendable, Equatable, Codable {
    public var revision: Int
    public var appliedAt: Date
    public var created: [String]
    public var changed: [String]
    public var deleted: [String]

    public init(revision: Int, appliedAt: Date, created: [String], changed: [String], deleted: [String]) {
        self.revision = revision
        self.appliedAt = appliedAt
        self.created = created
        self.changed = changed
        self.deleted = deleted
    }
}

/// Errors of a store backend, with context for the log.
public enum StoreError: Error, CustomStringConvertible {
    case unavailable(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .unavailable(let detail): return "store unavailable: \(detail)"
        case .corrupt(let detail): return "store holds unreadable data: \(detail)"
        }
    }
}

/// The coordinator's persistence seam. SQLite is the default; a PostgreSQL backend
/// implements the same protocol and runs the same contract tests.
///
/// Every method is atomic on its own. Items with ids are idempotent: storing an id
/// twice keeps the first.
public protocol FleetStore: Sendable {
    /// Create or upgrade the schema.
    func migrate() async throws
    /// Cheap reachability check for `/readyz`.
    func ping() async throws

    // MARK: Desired state
    func loadDesiredState() async throws -> StoredDesiredState?
    /// Commit a new revision atomically: the desired state, the assignments of the nodes
    /// that changed, the removal of assignments of deleted nodes, and a history record.
    func commitRevision(_ record: RevisionRecord, desired: Data, changedAssignments: [Assignment],
                        deletedNodes: [String]) async throws
    func revisions(limit: Int) async throws -> [RevisionRecord]

    // MARK: Credentials
    func credentials() async throws -> [NodeCredential]
    /// Stores a credential. Returns false, storing nothing, when the name already holds one.
    func insertCredential(_ credential: NodeCredential) async throws -> Bool
    /// Removes a credential. Returns false when there was none.
    func deleteCredential(node: String) async throws -> Bool

    // MARK: Node status
    func saveSnapshots(_ snapshots: [NodeSnapshot]) async throws
    func loadSnapshots() async throws -> [NodeSnapshot]

    // MARK: Reported items
    func recordEvents(_ events: [AgentEvent], node: String) async throws
    func recentEvents(node: String?, station: String?, limit: Int) async throws -> [AgentEvent]
    func recordSegments(_ segments: [SegmentRecord], node: String) async throws
    func segments(station: String, from: Date?, to: Date?) async throws -> [SegmentRecord]
    func recordJobRuns(_ runs: [JobRun], node: String) async throws

    // MARK: Commands
    func saveCommand(_ command: CommandView) async throws
    func command(id: String) async throws -> CommandView?
    func openCommands() async throws -> [CommandView]
    func recentCommands(target: String, limit: Int) async throws -> [CommandView]

    // MARK: Retention
    /// Deletes events, job runs and finished commands older than `cutoff`; returns how many
    /// rows went. The recordings catalog is kept.
    func pruneHistory(before cutoff: Date) async throws -> Int
}
