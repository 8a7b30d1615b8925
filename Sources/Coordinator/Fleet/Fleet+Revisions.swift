import FleetProtocol
import Foundation

extension Fleet {
    /// `GET /v1/revisions/{rev}`: one revision with its inventory files (`files` is `nil` for a
    /// revision stored before revisions kept their inventory).
    public func revision(_ number: Int) async throws -> RevisionView {
        let stored = try await storedRevision(number)
        var view = stored.record
        view.files = stored.inventory?.files
        view.variables = view.variables ?? stored.inventory?.variables
        return view
    }

    /// `POST /v1/revisions/{rev}/reapply` (`fleetctl rollout undo`): applies revision `number`'s
    /// stored files again, with `request.variables` for its `${NAME}` references, through the
    /// same path as `apply` (validation, secret files, deletion guard). What changes becomes a
    /// new revision with `undoOf: number`; when nothing changes no revision is made.
    public func reapply(revision number: Int, _ request: ReapplyRequest) async throws -> ApplyResult {
        let inventory = try await inventory(of: number, for: "re-applied")
        return try await applyInventory(files: inventory.files, variables: request.variables ?? [:], by: request.by,
                                        dryRun: false, allowDeletions: request.allowDeletions ?? false, undoOf: number)
    }

    /// `POST /v1/revisions/{rev}/diff`: what changed from revision `from` to revision `to`
    /// (default: the current one), field by field, each loaded from its stored inventory with
    /// the same loader as apply.
    public func diffRevisions(from: Int, _ request: RevisionDiffRequest) async throws -> RevisionDiffView {
        let to = request.to ?? book.revision
        let variables = request.variables ?? [:]
        let old = try await compile(files: try await inventory(of: from, for: "compared").files, variables: variables,
                                    checkSecrets: false)
        let new = try await compile(files: try await inventory(of: to, for: "compared").files, variables: variables,
                                    checkSecrets: false)
        let diff = DesiredState.diff(old: old, new: new)
        return RevisionDiffView(from: from, to: to, created: diff.created, changed: diff.changed, deleted: diff.deleted,
                                unchanged: diff.unchanged, fieldChanges: DesiredState.fieldChanges(old: old, new: new))
    }

    private func storedRevision(_ number: Int) async throws -> StoredRevision {
        guard number > 0, let stored = try await store.revision(number) else {
            throw FleetError.notFound(kind: "revision", name: String(number))
        }
        return stored
    }

    private func inventory(of number: Int, for use: String) async throws -> RevisionInventory {
        guard let inventory = try await storedRevision(number).inventory else {
            throw FleetError.conflict("revision \(number) was stored before revisions kept their inventory; "
                + "it cannot be \(use)")
        }
        return inventory
    }
}
