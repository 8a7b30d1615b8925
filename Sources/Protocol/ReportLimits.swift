import FoundationEssentials

/// The bounds of one `StatusReport`, written once: the coordinator refuses a report that
/// breaks them (400 with the field and the limit), and the agent shapes every report to
/// fit them before sending (`StatusReport.fittedToLimits()`), so a valid agent is never
/// refused and a hostile one cannot grow the coordinator's store without bound.
///
/// ```swift
/// if let violation = report.limitViolation() { throw BadRequest(violation) }   // coordinator
/// let outgoing = report.fittedToLimits()                                         // agent
/// ```
public enum ReportLimits {
    /// Events, segments and job runs per report (the agent sends its outbox in batches).
    public static let maxItems = 500
    public static let maxCommandResults = 100
    public static let maxStations = 64
    public static let maxStorage = 32
    public static let maxJobs = 64
    /// Free text: event messages, errors, command results.
    public static let maxMessageLength = 2048
    /// Names, ids, kinds, versions, file names and paths.
    public static let maxNameLength = 512
    /// Failed systemd units per report (`failedUnits`).
    public static let maxFailedUnits = 64
    /// Bytes of one unit name in `failedUnits` (systemd's own limit is 255 characters).
    public static let maxUnitNameLength = 256
    /// Largest plausible count or size (a petabyte; 2^50).
    public static let maxMagnitude = 1_125_899_906_842_624.0
    /// Largest plausible duration or uptime in seconds (about 30 years).
    public static let maxSeconds = 1_000_000_000.0
}

extension StatusReport {
    /// The first way this report breaks `ReportLimits`, as one line naming the field and
    /// the limit; nil when it is within bounds.
    public func limitViolation() -> String? {
        var check = LimitCheck()
        check.name(agentVersion, "agentVersion")
        check.seconds(uptimeSeconds, "uptimeSeconds")
        if let arch { check.name(arch, "arch") }
        if let upgrade = agentUpgrade {
            check.name(upgrade.version, "agentUpgrade.version")
            check.name(upgrade.sha256, "agentUpgrade.sha256")
            if let detail = upgrade.detail, detail.utf8.count > ReportLimits.maxMessageLength {
                check.fail("agentUpgrade.detail: \(detail.utf8.count) bytes, at most \(ReportLimits.maxMessageLength)")
            }
            if let done = upgrade.bytesDone { check.count(Double(done), "agentUpgrade.bytesDone") }
            if let total = upgrade.bytesTotal { check.count(Double(total), "agentUpgrade.bytesTotal") }
        }
        check.count(Double(appliedRevision), "appliedRevision")
        check.items(storage.count, ReportLimits.maxStorage, "storage")
        check.items(stations.count, ReportLimits.maxStations, "stations")
        check.items(events.count, ReportLimits.maxItems, "events")
        check.items(segments.count, ReportLimits.maxItems, "segments")
        check.items(jobRuns.count, ReportLimits.maxItems, "jobRuns")
        check.items(jobs.count, ReportLimits.maxJobs, "jobs")
        check.items(commandResults.count, ReportLimits.maxCommandResults, "commandResults")
        if let failedUnits {
            check.items(failedUnits.count, ReportLimits.maxFailedUnits, "failedUnits")
            for (i, unit) in failedUnits.enumerated() where unit.utf8.count > ReportLimits.maxUnitNameLength {
                check.fail("failedUnits[\(i)]: \(unit.utf8.count) bytes, at most \(ReportLimits.maxUnitNameLength)")
            }
        }
        for (i, metric) in storage.enumerated() {
            check.name(metric.path, "storage[\(i)].path")
            check.count(Double(metric.totalBytes), "storage[\(i)].totalBytes")
            check.count(Double(metric.freeBytes), "storage[\(i)].freeBytes")
            check.range(metric.usedPercent, 0...100, "storage[\(i)].usedPercent")
        }
        for (i, status) in stations.enumerated() {
            check.name(status.station, "stations[\(i)].station")
            check.count(Double(status.restarts), "stations[\(i)].restarts")
            check.optionalName(status.currentSegment, "stations[\(i)].currentSegment")
            check.optionalName(status.newestSegment, "stations[\(i)].newestSegment")
            check.optionalMessage(status.lastError, "stations[\(i)].lastError")
            if let age = status.newestSegmentAgeSeconds { check.seconds(age, "stations[\(i)].newestSegmentAgeSeconds") }
        }
        for (i, event) in events.enumerated() {
            check.name(event.id, "events[\(i)].id")
            check.name(event.kind, "events[\(i)].kind")
            check.optionalName(event.station, "events[\(i)].station")
            check.optionalName(event.job, "events[\(i)].job")
            check.message(event.message, "events[\(i)].message")
        }
        for (i, segment) in segments.enumerated() {
            check.name(segment.station, "segments[\(i)].station")
            check.name(segment.name, "segments[\(i)].name")
            check.seconds(segment.durationSeconds, "segments[\(i)].durationSeconds")
            check.count(Double(segment.bytes), "segments[\(i)].bytes")
            check.optionalName(segment.archivePath, "segments[\(i)].archivePath")
            check.optionalName(segment.sha256, "segments[\(i)].sha256")
        }
        for (i, run) in jobRuns.enumerated() {
            check.name(run.id, "jobRuns[\(i)].id")
            check.name(run.job, "jobRuns[\(i)].job")
            check.seconds(run.durationSeconds, "jobRuns[\(i)].durationSeconds")
            check.count(Double(run.files), "jobRuns[\(i)].files")
            check.count(Double(run.bytes), "jobRuns[\(i)].bytes")
            check.optionalMessage(run.error, "jobRuns[\(i)].error")
        }
        for (i, job) in jobs.enumerated() {
            check.name(job.job, "jobs[\(i)].job")
            check.optionalMessage(job.lastError, "jobs[\(i)].lastError")
            check.count(Double(job.backlogFiles), "jobs[\(i)].backlogFiles")
            check.count(Double(job.backlogBytes), "jobs[\(i)].backlogBytes")
            if let progress = job.progress { check.progress(progress, "jobs[\(i)].progress") }
        }
        for (i, result) in commandResults.enumerated() {
            check.name(result.commandId, "commandResults[\(i)].commandId")
            check.message(result.message, "commandResults[\(i)].message")
        }
        return check.violation
    }

    /// This report shaped to fit `ReportLimits`: long text cut (marked with "…"), lists cut
    /// to their maximum; `failedUnits` keeps its first `maxFailedUnits` names that fit
    /// `maxUnitNameLength` (a cut unit name would name another unit). Items cut from the lists stay in the agent's outbox for the next
    /// report; what an item says is never changed beyond its text length.
    public func fittedToLimits() -> StatusReport {
        var report = self
        report.storage = Array(storage.prefix(ReportLimits.maxStorage))
        report.stations = Array(stations.prefix(ReportLimits.maxStations)).map { status in
            var status = status
            status.lastError = status.lastError.map(LimitCheck.cutMessage)
            return status
        }
        report.events = Array(events.prefix(ReportLimits.maxItems)).map { event in
            var event = event
            event.message = LimitCheck.cutMessage(event.message)
            return event
        }
        report.segments = Array(segments.prefix(ReportLimits.maxItems))
        report.jobRuns = Array(jobRuns.prefix(ReportLimits.maxItems)).map { run in
            var run = run
            run.error = run.error.map(LimitCheck.cutMessage)
            return run
        }
        report.jobs = Array(jobs.prefix(ReportLimits.maxJobs)).map { job in
            var job = job
            job.lastError = job.lastError.map(LimitCheck.cutMessage)
            job.progress = job.progress.flatMap(LimitCheck.fitted)
            return job
        }
        report.commandResults = Array(commandResults.prefix(ReportLimits.maxCommandResults)).map { result in
            var result = result
            result.message = LimitCheck.cutMessage(result.message)
            return result
        }
        report.failedUnits = failedUnits.map { units in
            Array(units.filter { $0.utf8.count <= ReportLimits.maxUnitNameLength }.prefix(ReportLimits.maxFailedUnits))
        }
        return report
    }
}

/// Collects the first violation.
struct LimitCheck {
    private(set) var violation: String?

    static func cutMessage(_ text: String) -> String {
        text.count <= ReportLimits.maxMessageLength ? text : String(text.prefix(ReportLimits.maxMessageLength - 1)) + "…"
    }

    /// Progress within bounds: a rate or ETA out of range is left out (nil: unknown); a phase
    /// name or count that breaks a limit drops the whole progress (it is only a display).
    static func fitted(_ progress: JobProgress) -> JobProgress? {
        var p = progress
        if let rate = p.bytesPerSecond, !(rate.isFinite && rate >= 0 && rate <= ReportLimits.maxMagnitude) { p.bytesPerSecond = nil }
        if let eta = p.etaSeconds, !(eta.isFinite && eta >= 0 && eta <= ReportLimits.maxSeconds) { p.etaSeconds = nil }
        var check = LimitCheck()
        check.progress(p, "progress")
        return check.violation == nil ? p : nil
    }

    mutating func fail(_ message: @autoclosure () -> String) {
        if violation == nil { violation = message() }
    }

    mutating func items(_ count: Int, _ limit: Int, _ field: String) {
        if count > limit { fail("\(field): \(count) items, at most \(limit) per report") }
    }

    mutating func name(_ text: String, _ field: String) {
        if text.utf8.count > ReportLimits.maxNameLength {
            fail("\(field): \(text.utf8.count) bytes, at most \(ReportLimits.maxNameLength)")
        }
    }

    mutating func optionalName(_ text: String?, _ field: String) {
        if let text { name(text, field) }
    }

    mutating func message(_ text: String, _ field: String) {
        if text.count > ReportLimits.maxMessageLength {
            fail("\(field): \(text.count) characters, at most \(ReportLimits.maxMessageLength)")
        }
    }

    mutating func progress(_ p: JobProgress, _ field: String) {
        name(p.phase, "\(field).phase")
        count(Double(p.filesDone), "\(field).filesDone")
        if let total = p.filesTotal { count(Double(total), "\(field).filesTotal") }
        count(Double(p.bytesDone), "\(field).bytesDone")
        if let total = p.bytesTotal { count(Double(total), "\(field).bytesTotal") }
        if let rate = p.bytesPerSecond { count(rate, "\(field).bytesPerSecond") }
        if let eta = p.etaSeconds { seconds(eta, "\(field).etaSeconds") }
    }

    mutating func optionalMessage(_ text: String?, _ field: String) {
        if let text { message(text, field) }
    }

    mutating func count(_ value: Double, _ field: String) {
        range(value, 0...ReportLimits.maxMagnitude, field)
    }

    mutating func seconds(_ value: Double, _ field: String) {
        range(value, 0...ReportLimits.maxSeconds, field)
    }

    mutating func range(_ value: Double, _ bounds: ClosedRange<Double>, _ field: String) {
        if !value.isFinite || !bounds.contains(value) {
            fail("\(field): \(value) is outside \(Self.format(bounds.lowerBound))…\(Self.format(bounds.upperBound))")
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e18 ? String(Int64(value)) : String(value)
    }
}
