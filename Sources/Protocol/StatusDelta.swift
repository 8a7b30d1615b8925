import FoundationEssentials

/// A heartbeat that carries only what changed since a report the coordinator acknowledged
/// (`base`, its `sequence`). The coordinator keeps each node's last full status, ages it
/// (``StatusReport/aged(by:)``) and applies the delta, so everything downstream sees a full
/// report. A coordinator that lacks the base answers 409 ``ErrorCode/statusBaseUnknown`` and
/// the agent sends a full report next; queued items (events, segments, job runs, command
/// results) travel as in a full report.
///
/// A field left out (nil) is unchanged; `cleared` names optional fields that became nil.
/// An idle node's delta is `{"base":17}`.
///
/// ```swift
/// let aged = acknowledged.aged(by: secondsSinceAcknowledged)
/// var delta = StatusDelta(base: 17, from: aged, to: current)
/// delta.sequence = delta.isEmpty ? nil : 18
/// let full = delta.applied(to: aged)          // == current, within the delta tolerances
/// ```
public struct StatusDelta: Codable, Sendable, Equatable {
    /// The `sequence` of the acknowledged report this delta is relative to.
    public var base: Int
    /// This report's sequence; nil when it changes nothing (the base stays the base).
    public var sequence: Int?
    public var agentVersion: String?
    public var appliedRevision: Int?
    public var storage: [StorageMetric]?
    public var stations: [StationStatus]?
    public var jobs: [JobStatus]?
    public var failedUnits: [String]?
    public var arch: String?
    public var agentUpgrade: AgentUpgradeStatus?
    /// Optional fields that became nil: `failedUnits`, `arch`, `agentUpgrade`.
    public var cleared: [String]?
    public var events: [AgentEvent]?
    public var segments: [SegmentRecord]?
    public var jobRuns: [JobRun]?
    public var commandResults: [CommandResult]?

    public init(base: Int, sequence: Int? = nil) {
        self.base = base
        self.sequence = sequence
    }

    /// Whether the standing status changed (items aside).
    public var isEmpty: Bool {
        agentVersion == nil && appliedRevision == nil && storage == nil && stations == nil && jobs == nil
            && failedUnits == nil && arch == nil && agentUpgrade == nil && (cleared ?? []).isEmpty
    }

    /// Neither the standing status changed nor any item goes along: liveness alone
    /// (``Endpoints/heartbeatUnchanged``).
    public var carriesNothing: Bool {
        isEmpty && (events ?? []).isEmpty && (segments ?? []).isEmpty && (jobRuns ?? []).isEmpty
            && (commandResults ?? []).isEmpty
    }

    /// What changed from `base` (already aged to now) to `current`, by the tolerances in
    /// ``StatusDeltaTolerance``; `current`'s queued items go along. `stationsWereSent`: the
    /// previous report sent the stations, so a growing segment is news once more (the
    /// coordinator proves a recorder writes by two reports with a grown segment).
    public init(base sequence: Int, from base: StatusReport, to current: StatusReport, stationsWereSent: Bool = false) {
        self.init(base: sequence)
        if current.agentVersion != base.agentVersion { agentVersion = current.agentVersion }
        if current.appliedRevision != base.appliedRevision { appliedRevision = current.appliedRevision }
        if StatusDeltaTolerance.storageChanged(base.storage, current.storage) { storage = current.storage }
        if StatusDeltaTolerance.stationsChanged(base.stations, current.stations, bytesAreNews: stationsWereSent) {
            stations = current.stations
        }
        if StatusDeltaTolerance.jobsChanged(base.jobs, current.jobs) { jobs = current.jobs }
        var cleared: [String] = []
        if current.failedUnits != base.failedUnits {
            if let units = current.failedUnits { failedUnits = units } else { cleared.append("failedUnits") }
        }
        if current.arch != base.arch {
            if let arch = current.arch { self.arch = arch } else { cleared.append("arch") }
        }
        if current.agentUpgrade != base.agentUpgrade {
            if let upgrade = current.agentUpgrade { agentUpgrade = upgrade } else { cleared.append("agentUpgrade") }
        }
        self.cleared = cleared.isEmpty ? nil : cleared
        events = current.events.isEmpty ? nil : current.events
        segments = current.segments.isEmpty ? nil : current.segments
        jobRuns = current.jobRuns.isEmpty ? nil : current.jobRuns
        commandResults = current.commandResults.isEmpty ? nil : current.commandResults
    }

    /// The full report this delta stands for: `base` (aged to now) with the changed fields
    /// replaced and this delta's items. `sequence` is this delta's, or the base's when it
    /// changes nothing.
    public func applied(to base: StatusReport) -> StatusReport {
        var report = base
        if let agentVersion { report.agentVersion = agentVersion }
        if let appliedRevision { report.appliedRevision = appliedRevision }
        if let storage { report.storage = storage }
        if let stations { report.stations = stations }
        if let jobs { report.jobs = jobs }
        if let failedUnits { report.failedUnits = failedUnits }
        if let arch { report.arch = arch }
        if let agentUpgrade { report.agentUpgrade = agentUpgrade }
        for field in cleared ?? [] {
            switch field {
            case "failedUnits": report.failedUnits = nil
            case "arch": report.arch = nil
            case "agentUpgrade": report.agentUpgrade = nil
            default: break
            }
        }
        report.events = events ?? []
        report.segments = segments ?? []
        report.jobRuns = jobRuns ?? []
        report.commandResults = commandResults ?? []
        report.sequence = sequence ?? base.sequence
        return report
    }
}

/// When a value that moves on every heartbeat is news. Ages (uptime, a newest segment's
/// age, the oldest unarchived file's age, hours until a disk is full) are aged by the
/// receiver; the rest within these bounds is not worth a heartbeat's bytes.
public enum StatusDeltaTolerance {
    /// Free space moves by at least this many bytes, or by ``freeFraction`` of the disk,
    /// whichever is more, before it is sent again (a recording station fills its disk
    /// continuously; disk alerts and forecasts work in tenths of a percent).
    public static let freeBytes: UInt64 = 1 << 20
    public static let freeFraction = 0.001
    /// An aged age differs from the measured one by more than this (seconds).
    public static let ageSeconds = 5.0
    public static let backlogAgeSeconds = 60.0
    /// Hours until full: relative difference, and an absolute floor in hours.
    public static let diskFullFraction = 0.01
    public static let diskFullHours = 0.1

    public static func storageChanged(_ base: [StorageMetric], _ current: [StorageMetric]) -> Bool {
        guard base.count == current.count else { return true }
        for (old, new) in zip(base, current) {
            if old.path != new.path || old.totalBytes != new.totalBytes { return true }
            let moved = old.freeBytes > new.freeBytes ? old.freeBytes - new.freeBytes : new.freeBytes - old.freeBytes
            let bound = max(freeBytes, UInt64(Double(new.totalBytes) * freeFraction))
            if moved > bound { return true }
        }
        return false
    }

    public static func stationsChanged(_ base: [StationStatus], _ current: [StationStatus], bytesAreNews: Bool) -> Bool {
        guard base.count == current.count else { return true }
        for (old, new) in zip(base, current) {
            var a = old, b = new
            if let x = a.newestSegmentAgeSeconds, let y = b.newestSegmentAgeSeconds, abs(x - y) <= ageSeconds {
                a.newestSegmentAgeSeconds = nil
                b.newestSegmentAgeSeconds = nil
            }
            if !bytesAreNews {
                a.currentSegmentBytes = nil
                b.currentSegmentBytes = nil
            }
            if a != b { return true }
        }
        return false
    }

    public static func jobsChanged(_ base: [JobStatus], _ current: [JobStatus]) -> Bool {
        guard base.count == current.count else { return true }
        for (old, new) in zip(base, current) {
            var a = old, b = new
            if let x = a.oldestUnarchivedAgeSeconds, let y = b.oldestUnarchivedAgeSeconds, abs(x - y) <= backlogAgeSeconds {
                a.oldestUnarchivedAgeSeconds = nil
                b.oldestUnarchivedAgeSeconds = nil
            }
            if let x = a.diskFullInHours, let y = b.diskFullInHours, abs(x - y) <= max(diskFullHours, diskFullFraction * y) {
                a.diskFullInHours = nil
                b.diskFullInHours = nil
            }
            if a != b { return true }
        }
        return false
    }
}

extension StatusReport {
    /// This report's standing status `seconds` later: uptime and ages grown, hours until a
    /// disk is full shrunk; queued items dropped (they were delivered with it).
    public func aged(by seconds: Double) -> StatusReport {
        let elapsed = max(0, seconds)
        var report = self
        report.events = []
        report.segments = []
        report.jobRuns = []
        report.commandResults = []
        report.uptimeSeconds = min(uptimeSeconds + elapsed, ReportLimits.maxSeconds)
        report.stations = stations.map { status in
            var status = status
            status.newestSegmentAgeSeconds = status.newestSegmentAgeSeconds.map { min($0 + elapsed, ReportLimits.maxSeconds) }
            return status
        }
        report.jobs = jobs.map { job in
            var job = job
            job.oldestUnarchivedAgeSeconds = job.oldestUnarchivedAgeSeconds.map { min($0 + elapsed, ReportLimits.maxSeconds) }
            job.diskFullInHours = job.diskFullInHours.map { max(0, $0 - elapsed / 3600) }
            return job
        }
        return report
    }
}

/// The heartbeat's body: a full ``StatusReport`` or a ``StatusDelta`` (it has `base`).
///
/// ```swift
/// let body: Heartbeat = base == nil ? .full(report) : .delta(delta)
/// ```
public enum Heartbeat: Codable, Sendable, Equatable {
    case full(StatusReport)
    case delta(StatusDelta)

    private enum Keys: String, CodingKey { case base }

    public init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: Keys.self)
        self = keys.contains(.base) ? .delta(try StatusDelta(from: decoder)) : .full(try StatusReport(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .full(let report): try report.encode(to: encoder)
        case .delta(let delta): try delta.encode(to: encoder)
        }
    }
}
