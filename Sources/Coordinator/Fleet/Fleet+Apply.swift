import FleetProtocol
import Foundation

extension Fleet {
    /// Validates and compiles the inventory files, then commits one new revision if anything
    /// changed. Nothing is applied when the inventory has any error.
    public func apply(files: [ApplyRequest.File], dryRun: Bool) async throws -> ApplyResult {
        let compiled: DesiredState
        do {
            compiled = try Inventory.load(files: files).compile()
        } catch {
            throw FleetError.invalidInventory(diagnostics: error.diagnostics.map(\.description))
        }
        await beginApply()
        defer { endApply() }

        let objectDiff = DesiredState.diff(old: desired, new: compiled)
        let nextRevision = revision + 1
        var changedAssignments: [Assignment] = []
        for (node, var assignment) in compiled.assignments.sorted(by: { $0.key < $1.key }) {
            if let old = assignments[node], Self.sameContent(old, assignment) { continue }
            assignment.revision = nextRevision
            changedAssignments.append(assignment)
        }
        let deletedNodes = assignments.keys.filter { compiled.assignments[$0] == nil }.sorted()
        let changed = !objectDiff.created.isEmpty || !objectDiff.changed.isEmpty || !objectDiff.deleted.isEmpty
            || !changedAssignments.isEmpty || !deletedNodes.isEmpty
        guard changed else {
            return ApplyResult(revision: revision, created: [], changed: [], deleted: [],
                               unchanged: objectDiff.unchanged, dryRun: dryRun)
        }
        let result = ApplyResult(revision: nextRevision, created: objectDiff.created, changed: objectDiff.changed,
                                 deleted: objectDiff.deleted, unchanged: objectDiff.unchanged, dryRun: dryRun)
        if dryRun { return result }

        let record = RevisionRecord(revision: nextRevision, appliedAt: Date(), created: result.created,
                                    changed: result.changed, deleted: result.deleted)
        try await store.commitRevision(record, desired: try WireCoding.encode(compiled),
                                       changedAssignments: changedAssignments, deletedNodes: deletedNodes)
        revision = nextRevision
        desired = compiled
        for assignment in changedAssignments { assignments[assignment.node] = assignment }
        for node in deletedNodes { assignments[node] = nil }
        metrics.applies.increment()
        metrics.revision.record(revision)
        logger.info("inventory applied", metadata: [
            "revision": "\(revision)", "created": "\(result.created.count)", "changed": "\(result.changed.count)",
            "deleted": "\(result.deleted.count)", "nodesChanged": "\(changedAssignments.count + deletedNodes.count)",
        ])
        for node in changedAssignments.map(\.node) + deletedNodes { wakeWatchers(node: node) }
        return result
    }

    /// True when two assignments ask for the same thing, whatever their revisions.
    static func sameContent(_ a: Assignment, _ b: Assignment) -> Bool {
        var a = a, b = b
        a.revision = 0
        b.revision = 0
        return a == b
    }

    /// History of applied revisions, newest first.
    public func history(limit: Int = 50) async throws -> [RevisionRecord] {
        try await store.revisions(limit: limit)
    }
}
