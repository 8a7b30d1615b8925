import FoundationEssentials

/// Why an archive or backup run failed as a whole. Each case carries job and path and reads as one line.
public enum ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    case targetNotMarked(job: String, root: String)
    case targetFull(job: String, path: String)
    case targetReadOnly(job: String, path: String, reason: String)
    case targetFailed(job: String, path: String, reason: String)
    case ledger(job: String, reason: String)
    case cancelled(job: String)

    public var description: String {
        switch self {
        case let .targetNotMarked(job, root):
            return "job \(job): target \(root) has no \(TargetTemplate.markerName) marker: is the NAS mounted? (after mounting, create it once with `touch \(TargetTemplate.markerPath(root: root))`)"
        case let .targetFull(job, path):
            return "job \(job): target is full (no space left writing \(path)); nothing deleted locally"
        case let .targetReadOnly(job, path, reason):
            return "job \(job): target is read-only or not writable (\(path): \(reason)); nothing deleted locally"
        case let .targetFailed(job, path, reason):
            return "job \(job): target write failed at \(path): \(reason); nothing deleted locally"
        case let .ledger(job, reason):
            return "job \(job): ledger error: \(reason)"
        case let .cancelled(job):
            return "job \(job): cancelled"
        }
    }

    /// Maps a target-side system error to a run-level error.
    static func fromTarget(_ error: FileIO.SystemError, job: String) -> ArchiveError {
        if error.isNoSpace { return .targetFull(job: job, path: error.path) }
        if error.isReadOnly { return .targetReadOnly(job: job, path: error.path, reason: String(describing: error)) }
        return .targetFailed(job: job, path: error.path, reason: String(describing: error))
    }
}
