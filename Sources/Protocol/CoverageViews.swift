import Foundation

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

    public init(station: String, from: Date, to: Date, coveredSeconds: Double, gaps: Int, longestGapSeconds: Double) {
        self.station = station
        self.from = from
        self.to = to
        self.coveredSeconds = coveredSeconds
        self.gaps = gaps
        self.longestGapSeconds = longestGapSeconds
    }

    /// Covered share of the span, 0–100.
    public var percent: Double {
        let span = to.timeIntervalSince(from)
        guard span > 0 else { return 0 }
        return min(100, max(0, coveredSeconds / span * 100))
    }
}
