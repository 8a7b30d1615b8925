import FleetProtocol
import Foundation

/// The desired state of the fleet: the current revision, its compiled inventory and one
/// assignment per node. It plans an apply (what changes, for which nodes) and commits a
/// plan once the store has it; nothing else writes desired state.
///
/// ```swift
/// var book = DesiredStateBook()
/// let plan = book.plan(compiled, appliedAt: Date())
/// if plan.changesAnything { try await store.commitRevision(plan.record, …); book.commit(plan) }
/// ```
struct DesiredStateBook {
    private(set) var revision = 0
    private(set) var desired: DesiredState?
    private(set) var assignments: [String: Assignment] = [:]
    /// Each node's assignment before its last change, so that what it reports about work
    /// it just handed over (a moved station's last segments) is still its own.
    private(set) var previousAssignments: [String: Assignment] = [:]
    /// Nodes a staged rollout has not (or no longer) given this revision's assignment, with
    /// the assignment they are served instead (`Rollout.held`). Empty without a rollout.
    private(set) var held: [String: Assignment] = [:]
    /// `scope(of:)` per node, built when its assignment changes, not on every heartbeat.
    private var scopes: [String: ReportScope] = [:]
    private var siteByNode: [String: String] = [:]

    mutating func restore(revision: Int, desired: DesiredState, assignments: [String: Assignment]) {
        self.revision = revision
        self.assignments = assignments
        scopes = [:]
        setDesired(desired)
    }

    /// What applying `compiled` would change, as the next revision.
    func plan(_ compiled: DesiredState, appliedAt: Date) -> ApplyPlan {
        let nextRevision = revision + 1
        var changedAssignments: [Assignment] = []
        for (node, var assignment) in compiled.assignments.sorted(by: { $0.key < $1.key }) {
            if let old = assignments[node], Self.sameContent(old, assignment) { continue }
            assignment.revision = nextRevision
            changedAssignments.append(assignment)
        }
        let deletedNodes = assignments.keys.filter { compiled.assignments[$0] == nil }.sorted()
        return ApplyPlan(revision: nextRevision, compiled: compiled, diff: DesiredState.diff(old: desired, new: compiled),
                         changedAssignments: changedAssignments, deletedNodes: deletedNodes, appliedAt: appliedAt)
    }

    /// Makes a stored plan current.
    mutating func commit(_ plan: ApplyPlan) {
        revision = plan.revision
        setDesired(plan.compiled)
        for assignment in plan.changedAssignments {
            if let old = assignments[assignment.node] { previousAssignments[assignment.node] = old }
            assignments[assignment.node] = assignment
            scopes[assignment.node] = nil
        }
        for node in plan.deletedNodes {
            previousAssignments[node] = assignments.removeValue(forKey: node)
            scopes[node] = nil
        }
    }

    /// What the node is served: its held assignment during a rollout, else the revision's;
    /// an empty one (revision 0) for a node the inventory does not name.
    func assignment(for node: String, defaultHeartbeatSeconds: Int) -> Assignment {
        served(node) ?? Assignment(node: node, site: "", revision: 0, heartbeatSeconds: defaultHeartbeatSeconds)
    }

    /// The node's served assignment (held or the revision's), nil when it has none.
    func served(_ node: String) -> Assignment? {
        guard let target = assignments[node] else { return nil }
        return held[node] ?? target
    }

    /// Every node's served assignment.
    var servedAssignments: [String: Assignment] { assignments.merging(held) { target, held in held } }

    /// Replaces the held assignments; returns the nodes whose served assignment changed.
    mutating func setHeld(_ next: [String: Assignment]) -> [String] {
        let next = next.filter { assignments[$0.key] != nil }
        let changed = Set(held.keys).union(next.keys).filter { held[$0] != next[$0] }.sorted()
        held = next
        for node in changed { scopes[node] = nil }
        return changed
    }

    /// What a node may report about: its current and just-previous assignment (cached until
    /// the node's assignment changes).
    mutating func scope(of node: String) -> ReportScope {
        if let cached = scopes[node] { return cached }
        let scope = ReportScope(node: node, assignments: [assignments[node], previousAssignments[node], held[node]].compactMap { $0 })
        scopes[node] = scope
        return scope
    }

    func site(of node: String) -> String {
        siteByNode[node] ?? assignments[node]?.site ?? ""
    }

    func station(_ name: String) -> DesiredStation? {
        desired?.stations.first { $0.name == name }
    }

    /// Nodes whose assignment has the archive or backup job `name`, sorted.
    func nodes(running kind: Command.Kind, named name: String) -> [String] {
        assignments.values.filter { assignment in
            switch kind {
            case .runArchive: return assignment.archives.contains { $0.name == name }
            case .runBackup: return assignment.backups.contains { $0.name == name }
            case .restartRecorder, .stationLogs, .nodeLogs, .snapshot: return false
            }
        }.map(\.node).sorted()
    }

    /// True when two assignments ask for the same thing, whatever their revisions.
    static func sameContent(_ a: Assignment, _ b: Assignment) -> Bool {
        var a = a, b = b
        a.revision = 0
        b.revision = 0
        return a == b
    }

    private mutating func setDesired(_ state: DesiredState) {
        desired = state
        siteByNode = Dictionary(state.nodes.map { ($0.name, $0.site) }, uniquingKeysWith: { first, _ in first })
    }
}

/// What an apply creates, changes, deletes and leaves alone, by `kind/name`.
typealias ObjectDiff = (created: [String], changed: [String], deleted: [String], unchanged: [String])

/// One planned revision: the compiled inventory, the object diff and the nodes it touches.
struct ApplyPlan {
    var revision: Int
    var compiled: DesiredState
    var diff: ObjectDiff
    var changedAssignments: [Assignment]
    var deletedNodes: [String]
    var appliedAt: Date

    var changesAnything: Bool {
        !diff.created.isEmpty || !diff.changed.isEmpty || !diff.deleted.isEmpty
            || !changedAssignments.isEmpty || !deletedNodes.isEmpty
    }

    /// Nodes whose watch must wake.
    var touchedNodes: [String] { changedAssignments.map(\.node) + deletedNodes }

    var record: RevisionRecord {
        RevisionRecord(revision: revision, appliedAt: appliedAt, created: diff.created, changed: diff.changed,
                       deleted: diff.deleted)
    }
}
