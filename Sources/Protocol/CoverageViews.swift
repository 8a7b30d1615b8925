import FoundationEssentials

/// `GET /v1/coverage?from=T&to=T`: one station's recorded share of a span, computed by the
/// coordinator from its recordings catalog exactly as `recordings` computes it.
///
/// ```swift
/// let day = try await client.call(Endpoints.coverage, query: [("from", "2025-05-23T00:00:00Z"),
///                                                             ("to", "2025-05-24T00:00:00Z")])
/// let rost1 = day.first { $0.station == "ROST1" }?.percent   // 97.9
/// ```
public struct StationCoverageView: Codable, Sendable, Equatable {
    public var station: String
    public var from: Date
    public var to: Date
    /// Seconds covered by valid segments inside the span.
    public var coveredSeconds: Double
    /// Gaps longer than one segment inside the span (its edges count).
    public var gaps: Int
    public var longestGapSeconds: Double
    /// Start of the station's first recording ever: the span before it is no data, not a gap.
    public var recordingSince: Date?

    public init(station: String, from: Date, to: Date, coveredSeconds: Double, gaps: Int, longestGapSeconds: Double,
                recordingSince: Date? = nil) {
        self.station = station
        self.from = from
        self.to = to
        self.coveredSeconds = coveredSeconds
        self.gaps = gaps
        self.longestGapSeconds = longestGapSeconds
        self.recordingSince = recordingSince
    }

    /// Covered share of the part of the span after the station's first recording, 0–100;
    /// nil when that part is empty (the station began recording after `to`).
    public var percent: Double? {
        let start = recordingSince.map { max($0, from) } ?? from
        let span = to.timeIntervalSince(start)
        guard span > 0 else { return nil }
        return min(100, max(0, coveredSeconds / span * 100))
    }
}
