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
    /// it in ``ApplyResult/deletionsNeedAllow`` instead. A revision that changes something keeps
    /// the files, the names of the variables, the content hash and `admin` plus `request.by`.
    public func apply(_ request: ApplyRequest) async throws -> ApplyResult {
        try await applyInventory(files: request.files, variables: request.variables ?? [:], by: request.by,
                                 dryRun: request.dryRun, allowDeletions: request.allowDeletions, undoOf: nil)
    }

    /// The one apply path (`apply` and `reapply`): load, plan, guard deletions, store, wake.
    func applyInventory(files: [ApplyRequest.File], variables: [String: String], by: String?, dryRun: Bool,
                        allowDeletions: Bool, undoOf: Int?) async throws -> ApplyResult {
        let compiled = try await compile(files: files, variables: variables)
        if !applyGate.tryEnter() {
            await withCheckedContinuation { applyGate.enqueue($0) }
        }
        defer { applyGate.leave() }

        let plan = book.plan(compiled, appliedAt: Date())
        guard plan.changesAnything else {
            return ApplyResult(revision: book.revision, created: [], changed: [], deleted: [],
                               unchanged: plan.diff.unchanged, dryRun: dryRun, fieldChanges: [:], deletionsNeedAllow: false)
        }
        let tripped = DeletionGuard.violations(current: book.desired?.objectNames ?? [], deleted: plan.diff.deleted)
        let needsAllow = !tripped.isEmpty && !allowDeletions
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

        var record = plan.record
        record.author = "admin"
        record.by = by.flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
        record.hash = ContentHash.of(compiled)
        record.undoOf = undoOf
        record.variables = variables.keys.sorted()
        let inventory = RevisionInventory(files: files, variables: variables.keys.sorted())
        let servedBefore = book.servedAssignments
        let (nextRollout, superseded) = planRollout(plan, now: plan.appliedAt)
        // The new rollout is stored first: a revision is never current without its rollout.
        if let nextRollout {
            try await store.saveRollout(StoredRollout(revision: nextRollout.revision, state: nextRollout.state.rawValue,
                                                      updatedAt: plan.appliedAt, body: try WireCoding.encode(nextRollout)))
        }
        try await store.commitRevision(record, inventory: inventory, desired: try WireCoding.encode(compiled),
                                       changedAssignments: plan.changedAssignments, deletedNodes: plan.deletedNodes)
        book.commit(plan)
        await announce(.revision(plan.revision))
        await commitRollout(nextRollout, superseded: superseded)
        metrics.applies.increment()
        metrics.revision.record(book.revision)
        logger.info("inventory applied", metadata: [
            "revision": "\(book.revision)", "created": "\(result.created.count)", "changed": "\(result.changed.count)",
            "deleted": "\(result.deleted.count)", "nodesChanged": "\(plan.touchedNodes.count)",
            "by": "\(record.authorText)", "undoOf": "\(undoOf.map(String.init) ?? "-")",
        ])
        let servedAfter = book.servedAssignments
        let woken = Set(plan.deletedNodes).union(servedAfter.keys.filter { servedBefore[$0] != servedAfter[$0] })
        for node in woken.sorted() { watches.wake(node: node) }
        refreshNodeGauges()
        changes.publish(.revision(plan.revision, nodes: plan.touchedNodes))
        return result
    }

    /// Loads and compiles inventory files; every problem becomes ``FleetError/invalidInventory(diagnostics:)``.
    /// `checkSecrets: false` (comparing stored revisions) skips the secret-file checks and
    /// compiles an `agentVersion` without published builds instead of refusing it.
    func compile(files: [ApplyRequest.File], variables: [String: String], checkSecrets: Bool = true) async throws -> DesiredState {
        let builds = await agentBuilds?.all().map(\.build) ?? []
        do {
            return try Inventory.load(files: files, environment: variables,
                                      secretFiles: checkSecrets ? secretFiles : .skip)
                .compile(agentBuilds: builds, requirePublished: checkSecrets)
        } catch {
            throw FleetError.invalidInventory(diagnostics: error.diagnostics.map(\.description))
        }
    }

    /// History of applied revisions, newest first.
    public func history(limit: Int = 50) async throws -> [RevisionRecord] {
        try await store.revisions(limit: limit)
    }
}
