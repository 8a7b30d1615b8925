import FleetProtocol
import Foundation

/// Coverage and gaps of a station's recordings catalog.
public enum RecordingCoverage {
    /// Computes coverage of valid segments and every gap longer than one segment.
    /// With `from`/`to`, the edges of the window count as gaps too, except the time before
    /// `recordingSince` (the station's first catalog entry ever): no data, not a gap.
    public static func compute(station: String, segments: [SegmentRecord], from: Date?, to: Date?,
                               segmentSeconds: Int, recordingSince: Date? = nil) -> RecordingsView {
        let valid = segments.filter(\.valid).sorted { $0.start < $1.start }
        let tolerance = Double(segmentSeconds)
        var gaps: [RecordingsView.Gap] = []
        var covered = 0.0
        var cursor: Date? = from.map { from in recordingSince.map { max($0, from) } ?? from }
        for segment in valid {
            let end = segment.start.addingTimeInterval(max(segment.durationSeconds, 0))
            if let cursor, segment.start.timeIntervalSince(cursor) > tolerance {
                gaps.append(.init(from: cursor, to: segment.start, seconds: segment.start.timeIntervalSince(cursor)))
            }
            let effectiveStart = max(segment.start, cursor ?? segment.start)
            covered += max(0, end.timeIntervalSince(effectiveStart))
            cursor = max(cursor ?? end, end)
        }
        if let to, let cursor, to.timeIntervalSince(cursor) > tolerance {
            gaps.append(.init(from: cursor, to: to, seconds: to.timeIntervalSince(cursor)))
        } else if let to, cursor == nil, let from {
            gaps.append(.init(from: from, to: to, seconds: to.timeIntervalSince(from)))
        }
        return RecordingsView(station: station, from: from, to: to, segmentSeconds: segmentSeconds,
                              segments: segments.sorted { $0.start < $1.start }, coveredSeconds: covered, gaps: gaps,
                              recordingSince: recordingSince)
    }
}
