import FleetProtocol
import Foundation

extension Fleet {
    /// Validates and compiles the inventory files, then commits one new revision if anything
    /// changed. Nothing is applied when the inventory has any error.
    public func apply(files: [ApplyRequest.File], dryRun: Bool, allowDeletions: Bool = false) async throws -> ApplyResult {
        try await apply(ApplyRequest(files: files, dryRun: dryRun, allowDeletions: allowDeletions))
    }

    /// `POST /v1/apply`. Refuses (``FleetError/deletionsNotAllowed(message:deleted:)``) an apply
    /// whose deletions trip ``DeletionGuard`` unless `request.allowDeletions`; a dry run reports
    /// it in ``ApplyResult/deletionsNeedAllow`` instead.
    public func apply(_ request: ApplyRequest) async throws -> ApplyResult {
        let compiled: DesiredState
        do {
            compiled = try Inventory.load(files: request.files, environment: request.variables ?? [:],
                                          secretFiles: secretFiles).compile()
        } catch {
            throw FleetError.invalidInventory(diagnostics: error.diagnostics.map(\.description))
        }
        if !applyGate.tryEnter() {
            await withCheckedContinuation { applyGate.enqueue($0) }
        }
        defer { applyGate.leave() }

        let dryRun = request.dryRun
        let plan = book.plan(compiled, appliedAt: Date())
        guard plan.changesAnything else {
            return ApplyResult(revision: book.revision, created: [], changed: [], deleted: [],
                               unchanged: plan.diff.unchanged, dryRun: dryRun, fieldChanges: [:], deletionsNeedAllow: false)
        }
        let tripped = DeletionGuard.violations(current: book.desired?.objectNames ?? [], deleted: plan.diff.deleted)
        let needsAllow = !tripped.isEmpty && !request.allowDeletions
        let result = ApplyResult(revision: plan.revision, created: plan.diff.created, changed: plan.diff.changed,
                                 deleted: plan.diff.deleted, unchanged: plan.diff.unchanged, dryRun: dryRun,
                                 fieldChanges: DesiredState.fieldChanges(old: book.desired, new: compiled),
                                 deletionsNeedAllow: needsAllow)
        if dryRun { return result }
        if needsAllow {
            let message = "this apply would delete \(tripped.joined(separator: ", ")); nothing applied. "
                + "Set allowDeletions to delete them (fleetctl apply --prune)"
            logger.warning("apply refused: mass deletion without allowDeletions", metadata: [
                "deleted": "\(plan.diff.deleted.count)", "rule": "\(tripped.joined(separator: ", "))",
            ])
            throw FleetError.deletionsNotAllowed(message: message, deleted: plan.diff.deleted)
        }

        try await store.commitRevision(plan.record, desired: try WireCoding.encode(compiled),
                                       changedAssignments: plan.changedAssignments, deletedNodes: plan.deletedNodes)
        book.commit(plan)
        metrics.applies.increment()
        metrics.revision.record(book.revision)
        logger.info("inventory applied", metadata: [
            "revision": "\(book.revision)", "created": "\(result.created.count)", "changed": "\(result.changed.count)",
            "deleted": "\(result.deleted.count)", "nodesChanged": "\(plan.touchedNodes.count)",
        ])
        for node in plan.touchedNodes { watches.wake(node: node) }
        refreshNodeGauges()
        changes.publish(.revision(plan.revision, nodes: plan.touchedNodes))
        return result
    }

    /// History of applied revisions, newest first.
    public func history(limit: Int = 50) async throws -> [RevisionRecord] {
        try await store.revisions(limit: limit)
    }
}
