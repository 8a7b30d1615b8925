import FleetProtocol
import Foundation

/// The recordings catalog's rule for a segment reported more than once: a later report
/// (e.g. the archive's checksum after the recorder's probe) fills in what an earlier one
/// lacked and never erases what is known. Stores apply it inside their write transaction
/// (`FleetStore.recordSegments(_:node:merge:)`), so every backend keeps the same catalog.
///
/// ```swift
/// let merged = SegmentMerge.merge(existing: probed, incoming: archivedCopy)
/// // merged.durationSeconds from the probe, merged.sha256 from the archive
/// ```
enum SegmentMerge {
    @Sendable static func merge(existing: SegmentRecord?, incoming: SegmentRecord) -> SegmentRecord {
        guard let existing else { return incoming }
        var merged = existing
        if incoming.durationSeconds > 0 {
            merged.durationSeconds = incoming.durationSeconds
            merged.valid = incoming.valid
        }
        if incoming.bytes > 0 { merged.bytes = incoming.bytes }
        merged.archivePath = incoming.archivePath ?? existing.archivePath
        merged.sha256 = incoming.sha256 ?? existing.sha256
        return merged
    }
}
