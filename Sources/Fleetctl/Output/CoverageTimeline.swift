import FleetProtocol
import Foundation

/// The terminal timeline of `fleetctl recordings`: one line per UTC hour (spans up to two
/// days; a cell is a minute) or per UTC day (longer spans; a cell is half an hour).
/// `█` recorded, `░` a gap (any part of the cell lies in a gap the coordinator reported, so a
/// 10-second gap still shows), blank outside the span.
///
/// ```
/// 05-23 03:00 ████████████████████████████░░░░████████████████████████████████
/// 05-23 04:00 ████████████████████████████████████████████████████████████
///             █ recorded  ░ gap  (1 cell = 1 min, UTC)
/// ```
public enum CoverageTimeline {
    /// How a span is cut into lines and cells.
    public struct Scale: Equatable, Sendable {
        public var lineSeconds: Int
        public var cells: Int
        public var cellSeconds: Int { lineSeconds / cells }
        /// "1 min" or "30 min".
        public var cellName: String { "\(cellSeconds / 60) min" }
    }

    public static let hourly = Scale(lineSeconds: 3600, cells: 60)
    public static let daily = Scale(lineSeconds: 86_400, cells: 48)

    public static let recorded: Character = "█"
    public static let gap: Character = "░"

    /// Hourly lines for spans up to two days, daily lines beyond.
    public static func scale(forSpan seconds: TimeInterval) -> Scale {
        seconds <= 2 * 86_400 ? hourly : daily
    }

    /// The timeline's lines and a legend; empty when the span is empty.
    public static func render(gaps: [RecordingsView.Gap], from: Date, to: Date) -> [String] {
        guard to > from else { return [] }
        let scale = scale(forSpan: to.timeIntervalSince(from))
        let line = Double(scale.lineSeconds), cell = Double(scale.cellSeconds)
        // UTC hours and days are whole multiples of the epoch's seconds.
        var lineStart = (from.timeIntervalSince1970 / line).rounded(.down) * line
        var lines: [String] = []
        let gapSpans = gaps.map { ($0.from.timeIntervalSince1970, $0.to.timeIntervalSince1970) }
            .sorted { $0.0 < $1.0 }
        let spanStart = from.timeIntervalSince1970, spanEnd = to.timeIntervalSince1970
        while lineStart < spanEnd {
            var cells = ""
            for index in 0..<scale.cells {
                let low = max(lineStart + Double(index) * cell, spanStart)
                let high = min(lineStart + Double(index + 1) * cell, spanEnd)
                if low >= high {
                    cells.append(" ")
                } else if gapSpans.contains(where: { $0.0 < high && $0.1 > low }) {
                    cells.append(gap)
                } else {
                    cells.append(recorded)
                }
            }
            lines.append(label(Date(timeIntervalSince1970: lineStart), scale) + " " + trimmed(cells))
            lineStart += line
        }
        let indent = String(repeating: " ", count: label(from, scale).count + 1)
        lines.append(indent + "\(recorded) recorded  \(gap) gap  (1 cell = \(scale.cellName), UTC)")
        return lines
    }

    /// `05-23 03:00` for an hourly line, `2025-05-23` for a daily one.
    static func label(_ start: Date, _ scale: Scale) -> String {
        let iso = Array(Formatting.time(start))  // 2025-05-23T03:00:00Z
        if scale == hourly { return String(iso[5..<10]) + " " + String(iso[11..<16]) }
        return String(iso[0..<10])
    }

    private static func trimmed(_ cells: String) -> String {
        var cells = cells
        while cells.last == " " { cells.removeLast() }
        return cells
    }
}
