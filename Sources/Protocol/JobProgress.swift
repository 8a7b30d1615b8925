import FoundationEssentials

/// How far a running archive or backup run has come, as the agent measured it at its last
/// heartbeat: files and bytes done of the totals known up front (the archive's file list,
/// the image's size, the SQLite database's page count), the rate over the current phase and
/// the time left at that rate.
///
/// ```swift
/// let p = JobProgress(phase: "compress", startedAt: start, filesDone: 0, filesTotal: 1,
///                     bytesDone: 250_000_000, bytesTotal: 500_000_000, bytesPerSecond: 50_000_000, etaSeconds: 5)
/// p.fraction   // 0.5
/// ```
public struct JobProgress: Codable, Sendable, Equatable {
    /// What the run is doing: `scan`, `copy` (archive); `snapshot`, `compress`, `verify` (backup).
    public var phase: String
    /// When the run started.
    public var startedAt: Date
    public var filesDone: Int
    /// Files this run has to go through; nil until known.
    public var filesTotal: Int?
    public var bytesDone: UInt64
    /// Bytes of the current phase; nil when the size cannot be known up front (a pipe, say).
    public var bytesTotal: UInt64?
    /// Bytes per second over the current phase; nil before there is a measurement.
    public var bytesPerSecond: Double?
    /// Seconds left at `bytesPerSecond`; nil without a total or a rate.
    public var etaSeconds: Double?

    public init(phase: String, startedAt: Date, filesDone: Int = 0, filesTotal: Int? = nil, bytesDone: UInt64 = 0,
                bytesTotal: UInt64? = nil, bytesPerSecond: Double? = nil, etaSeconds: Double? = nil) {
        self.phase = phase
        self.startedAt = startedAt
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.bytesPerSecond = bytesPerSecond
        self.etaSeconds = etaSeconds
    }

    /// Done of total in 0…1: by bytes when their total is known, else by files; nil when neither is.
    public var fraction: Double? {
        if let total = bytesTotal {
            return total == 0 ? 1 : min(1, Double(bytesDone) / Double(total))
        }
        if let total = filesTotal {
            return total == 0 ? 1 : min(1, Double(max(0, filesDone)) / Double(total))
        }
        return nil
    }
}
