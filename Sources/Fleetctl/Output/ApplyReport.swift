import FleetProtocol
import Foundation

/// The table forms of an ``ApplyResult`` for `apply` and `diff`.
public enum ApplyReport {
    /// `apply`: `station/ROST1 created`, `node/x changed`, `… deleted`, `N unchanged`,
    /// then `revision N`, `no changes (revision N)` or, with `--dry-run`, `dry run: nothing applied …`.
    public static func apply(_ result: ApplyResult) -> String {
        var out = ""
        for name in result.created { out += "\(name) created\n" }
        for name in result.changed { out += "\(name) changed\n" }
        for name in result.deleted { out += "\(name) deleted\n" }
        if !result.unchanged.isEmpty { out += "\(result.unchanged.count) unchanged\n" }
        out += pruneNote(result)
        if result.dryRun {
            out += result.hasChanges
                ? "dry run: nothing applied (revision \(result.revision))\n"
                : "no changes (revision \(result.revision))\n"
        } else {
            out += result.hasChanges ? "revision \(result.revision)\n" : "no changes (revision \(result.revision))\n"
        }
        return out
    }

    /// `diff`: `+ created`, `~ changed`, `- deleted`, then a summary line.
    public static func diff(_ result: ApplyResult) -> String {
        guard result.hasChanges else { return "no changes (revision \(result.revision))\n" }
        var out = lines(created: result.created, changed: result.changed, deleted: result.deleted,
                        fieldChanges: result.fieldChanges ?? [:])
        out += "\(result.created.count) to create, \(result.changed.count) to change, \(result.deleted.count) to delete, \(result.unchanged.count) unchanged (revision \(result.revision))\n"
        out += pruneNote(result)
        return out
    }

    /// `diff --from A --to B`: the same lines as `diff`, then
    /// `C created, X changed, D deleted, U unchanged (revision A → B)`.
    public static func revisionDiff(_ diff: RevisionDiffView) -> String {
        guard diff.hasChanges else { return "no changes (revision \(diff.from) → \(diff.to))\n" }
        return lines(created: diff.created, changed: diff.changed, deleted: diff.deleted, fieldChanges: diff.fieldChanges)
            + "\(diff.created.count) created, \(diff.changed.count) changed, \(diff.deleted.count) deleted, "
            + "\(diff.unchanged.count) unchanged (revision \(diff.from) → \(diff.to))\n"
    }

    /// `+ created`, `~ changed: path OLD → NEW` (one per field), `- deleted`.
    static func lines(created: [String], changed: [String], deleted: [String],
                      fieldChanges: [String: [FieldChange]]) -> String {
        var out = ""
        for name in created { out += "+ \(name)\n" }
        for name in changed {
            let fields = fieldChanges[name] ?? []
            if fields.isEmpty { out += "~ \(name)\n" }
            for field in fields { out += "~ \(name): \(field.path) \(field.old ?? "(unset)") → \(field.new ?? "(unset)")\n" }
        }
        for name in deleted { out += "- \(name)\n" }
        return out
    }

    /// The line saying apply would refuse these deletions without `--prune`; empty otherwise.
    static func pruneNote(_ result: ApplyResult) -> String {
        guard result.deletionsNeedAllow == true else { return "" }
        return "apply would refuse: it deletes more than half of the stations, nodes or jobs; "
            + "run apply with --prune to delete them\n"
    }
}
