import FleetProtocol
import Foundation

/// The table form of `recordings`: coverage of the span, then every gap.
public enum RecordingsReport {
    public static func render(_ view: RecordingsView) -> String {
        let ends = view.segments.map { $0.start.addingTimeInterval($0.durationSeconds) }
        let from = view.from ?? view.segments.map(\.start).min()
        let to = view.to ?? ends.max()
        var out = "station \(view.station)"
        if let from, let to { out += ": \(Formatting.time(from)) → \(Formatting.time(to))" }
        out += "\n"
        let invalid = view.segments.filter { !$0.valid }.count
        var segments = "\(view.segments.count) segment\(view.segments.count == 1 ? "" : "s")"
        if invalid > 0 { segments += " (\(invalid) invalid)" }
        // The time before the station's first recording ever is no data, not a gap.
        var dataFrom = from
        if let from, let since = view.recordingSince, since > from {
            dataFrom = since
            out += "no data before \(Formatting.time(since)) (the station's first recording)\n"
        }
        if let from = dataFrom, let to, to > from {
            let span = to.timeIntervalSince(from)
            let percent = min(100, view.coveredSeconds / span * 100)
            out += "coverage: \(Formatting.duration(view.coveredSeconds)) of \(Formatting.duration(span)) (\(String(format: "%.1f", percent))%), \(segments)\n"
        } else {
            out += "coverage: \(Formatting.duration(view.coveredSeconds)), \(segments)\n"
        }
        if let from = dataFrom, let to {
            for line in CoverageTimeline.render(gaps: view.gaps, from: from, to: to) { out += line + "\n" }
        }
        if view.gaps.isEmpty {
            out += "no gaps\n"
        } else {
            out += "gaps:\n"
            for gap in view.gaps {
                out += "  \(Formatting.time(gap.from)) → \(Formatting.time(gap.to)) (\(Formatting.duration(gap.seconds)))\n"
            }
        }
        return out
    }
}
