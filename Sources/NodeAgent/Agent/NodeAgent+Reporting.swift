import FleetProtocol
import FoundationEssentials
import Logging

extension NodeAgent {
    // MARK: Reporting: heartbeat, outbox, acknowledgement

    /// The heartbeat interval while a job run an operator started (`fleetctl run`) is under way.
    /// Bounded: only after an acknowledged report, never below this (the coordinator's report
    /// rate limit allows 2 per second), and not for scheduled runs — a fleet's weekly image
    /// backups start within minutes of each other and last an hour, and 2 s heartbeats from
    /// every node would multiply the coordinator's load; their progress goes out with the
    /// regular heartbeats.
    static let progressHeartbeat = Duration.seconds(2)

    /// The pause between reports while a backlog drains (a report carried a full batch and more
    /// waits): a week's backlog goes out in minutes, not one batch per heartbeat. The
    /// coordinator's rate limit still rules: a 429 or 503 holds reports for its `Retry-After`.
    static let backlogPace = Duration.milliseconds(250)

    /// Heartbeats every `heartbeatSeconds` (every `progressHeartbeat` while an operator's job
    /// run is under way), sooner when nudged; queued items go along
    /// and leave the outbox only when a coordinator acknowledged them.
    func reportLoop() async {
        while !Task.isCancelled {
            let wait = await reportOnce()
            await reportWakeup.wait(timeout: wait)
        }
    }

    /// One heartbeat; answers how long to wait before the next one: the heartbeat interval,
    /// or — when the coordinator said "not now" (429, 503, 507) — its `Retry-After` or a
    /// back-off. The outbox is kept whole whenever a report was not acknowledged, and only
    /// what the sent (fitted) report carried leaves it.
    @discardableResult
    func reportOnce() async -> Duration {
        let interval = Duration.seconds(Int64(heartbeatSeconds))
        guard let identity else { return interval }
        let report = await makeReport().fittedToLimits()
        do {
            let ack = try await sendHeartbeat(report, identity: identity)
            metrics.heartbeatsSent.increment()
            if reportHold != nil {
                logger.notice("coordinator accepts reports again")
                reportHold = nil
            }
            reportBackoff.reset()
            acknowledge(report)
            await upgrader?.heartbeatAcknowledged()
            await flushOutbox()
            if ack.desiredRevision != (assignment?.revision ?? 0) { await registrationWakeup.signal() }
            if Self.carriedFullBatch(report), journal.pendingCount > 0 { return Self.backlogPace }
            // While a run an operator started is under way, its progress goes out every couple of seconds.
            if interval > Self.progressHeartbeat, operatorJobRuns > 0 { return Self.progressHeartbeat }
            return interval
        } catch is CancellationError {
            return interval
        } catch let error as CoordinatorClientError {
            metrics.heartbeatFailures.increment()
            if let hold = error.holdReason {
                let wait = error.retryAfter ?? reportBackoff.next()
                if reportHold != hold {
                    // Once per condition: a rate-limited node would otherwise log every few seconds.
                    logger.warning("coordinator asks to wait; reports stay queued", metadata: [
                        "error": "\(error)", "retryInSeconds": "\(wait.components.seconds)"])
                    reportHold = hold
                }
                return wait
            }
            if case .unauthorized = error {
                await forgetIdentity(reason: error.description)
                await registrationWakeup.signal()
            }
            logger.debug("heartbeat failed", metadata: ["error": "\(error)"])
            return interval
        } catch {
            metrics.heartbeatFailures.increment()
            logger.error("heartbeat failed", metadata: ["error": "\(error)"])
            return interval
        }
    }

    /// Sends `report` as a delta against the status the coordinator acknowledged last (a full
    /// report when there is none, or when the coordinator no longer holds it), and remembers
    /// what the coordinator now holds.
    func sendHeartbeat(_ report: StatusReport, identity: NodeIdentity) async throws -> StatusAck {
        reportSequence += 1
        var full = report
        full.sequence = reportSequence
        let now = ContinuousClock.now
        if let base = statusBase {
            let aged = base.report.aged(by: (now - base.at).seconds)
            var delta = StatusDelta(base: base.sequence, from: aged, to: full, stationsWereSent: base.stationsChanged)
            if !delta.isEmpty { delta.sequence = full.sequence }
            do {
                let ack: StatusAck
                if delta.carriesNothing {
                    // Nothing is news: liveness alone, a bodiless request answered 204.
                    let revision = assignment?.revision ?? 0  // what the ack's desiredRevision is compared with
                    ack = try await client.heartbeatUnchanged(node: identity.name, token: identity.token, base: base.sequence,
                                                              revision: revision)
                        ?? StatusAck(heartbeatSeconds: heartbeatSeconds, desiredRevision: revision, statusBase: base.sequence)
                } else {
                    ack = try await client.heartbeat(node: identity.name, token: identity.token, body: .delta(delta))
                }
                if delta.sequence == nil {
                    if ack.statusBase != base.sequence { statusBase = nil }
                } else if let held = ack.statusBase, held == delta.sequence {
                    let stationsChanged = StatusDeltaTolerance.stationsChanged(aged.stations, full.stations, bytesAreNews: false)
                    statusBase = AcknowledgedStatus(sequence: held, report: delta.applied(to: aged).aged(by: 0), at: now,
                                                    stationsChanged: stationsChanged)
                } else {
                    statusBase = nil
                }
                return ack
            } catch let error as CoordinatorClientError {
                guard case .statusBaseUnknown = error else { throw error }
                logger.info("coordinator holds no status for this node; sending a full report",
                            metadata: ["detail": "\(error)"])
                statusBase = nil
            }
        }
        let ack = try await client.heartbeat(node: identity.name, token: identity.token, body: .full(full))
        statusBase = ack.statusBase.flatMap { held in
            held == full.sequence ? AcknowledgedStatus(sequence: held, report: full.aged(by: 0), at: now, stationsChanged: true) : nil
        }
        return ack
    }

    func makeReport() async -> StatusReport {
        let batch = journal.nextBatch(maxPerKind: ReportLimits.maxItems)
        let paths = (assignment?.localPaths ?? []) + ["/"]
        let storage = paths.compactMap { DiskUsage.measure($0) }
        return StatusReport(
            agentVersion: upgrader?.runningVersion ?? FleetVersion.current, uptimeSeconds: (ContinuousClock.now - started).seconds,
            appliedRevision: appliedRevision, storage: storage,
            stations: await recorders?.statuses() ?? [],
            events: batch.events, segments: batch.segments, jobRuns: batch.jobRuns,
            jobs: await jobs?.jobStatuses() ?? [],
            commandResults: outbox.commandResults,
            failedUnits: await failedUnits.current(),
            arch: AgentArch.current.rawValue, agentUpgrade: (await upgrader?.status).map(Self.clamped))
    }

    /// An upgrade status whose detail (an HTTP or file error, say) fits ``ReportLimits``.
    static func clamped(_ status: AgentUpgradeStatus) -> AgentUpgradeStatus {
        var status = status
        status.detail = status.detail.map { String($0.prefix(500)) }
        return status
    }

    /// Removes what a coordinator acknowledged; items added meanwhile stay.
    func acknowledge(_ report: StatusReport) {
        journal.acknowledge(carriedIn: report)  // the cursor is written by the next flushOutbox
        if outbox.removeAcknowledged(in: report) { outboxDirty = true }
    }

    /// Whether `report` carried a whole batch of some kind (so more may be waiting behind it).
    static func carriedFullBatch(_ report: StatusReport) -> Bool {
        [report.events.count, report.segments.count, report.jobRuns.count].contains(ReportLimits.maxItems)
    }

    /// Moves what recorders and jobs produced into the journal and puts it on disk.
    func collectReports() async {
        var items: [QueuedReport] = []
        if let recorders {
            items += await recorders.takeEvents().map(QueuedReport.event)
            items += await recorders.takeSegments().map(QueuedReport.segment)
        }
        if let jobs {
            items += await jobs.takeEvents().map(QueuedReport.event)
            items += await jobs.takeRuns().map(QueuedReport.jobRun)
            items += await jobs.takeArchivedSegments().map(QueuedReport.segment)
        }
        journal.enqueue(items)
        await flushOutbox()
    }

    /// Puts the journal on disk (appends, cursor, compaction) and, when it changed, `outbox.json`.
    /// A state dir that cannot take them keeps both in memory; retried on the next pass.
    func flushOutbox() async {
        outbox.trim()
        let snapshot = outbox, saveOutbox = outboxDirty
        if persist("outbox", { try journal.flush(); if saveOutbox { try state.saveOutbox(snapshot) } }), saveOutbox {
            outboxDirty = outbox != snapshot
        }
        metrics.outboxItems.record(journal.pendingCount + outbox.commandResults.count)
        metrics.outboxBytes.record(journal.diskBytes)
        metrics.outboxOverCap.record(journal.isOverCap ? 1 : 0)
    }
}

/// The status a coordinator acknowledged for this node: what it holds (standing status only),
/// when, and whether that report changed the stations beyond a growing segment (then the
/// next one sends a grown segment too, so the coordinator sees the recorder write).
struct AcknowledgedStatus: Sendable {
    var sequence: Int
    var report: StatusReport
    var at: ContinuousClock.Instant
    var stationsChanged: Bool
}

extension CoordinatorClientError {
    /// The coordinator's "not now" (429, 503, 507) as a short condition name; nil for other errors.
    var holdReason: String? {
        switch self {
        case .rateLimited: return "rate_limited"
        case .busy(let status, _, _): return "status \(status)"
        default: return nil
        }
    }

    /// How long the coordinator asked to wait, when it said.
    var retryAfter: Duration? {
        switch self {
        case .rateLimited(let retryAfter), .busy(_, _, let retryAfter): return retryAfter
        default: return nil
        }
    }
}

extension Outbox {
    /// Removes the command results `report` carried (a coordinator acknowledged it); results
    /// queued since stay. Returns whether the report carried any.
    ///
    /// ```swift
    /// let report = StatusReport(..., commandResults: outbox.commandResults, ...)
    /// _ = try await client.heartbeat(node: name, token: token, report: report)
    /// outbox.removeAcknowledged(in: report)
    /// ```
    @discardableResult
    public mutating func removeAcknowledged(in report: StatusReport) -> Bool {
        guard !report.commandResults.isEmpty else { return false }
        let results = Set(report.commandResults.map(\.commandId))
        commandResults.removeAll { results.contains($0.commandId) }
        return true
    }
}

extension ReportJournal {
    /// Acknowledges the longest run of oldest entries that `report` carried (matched by event
    /// and job-run id, segment station, name and archive path). Returns whether any was.
    @discardableResult
    public func acknowledge(carriedIn report: StatusReport) -> Bool {
        guard !(report.events.isEmpty && report.segments.isEmpty && report.jobRuns.isEmpty) else { return false }
        let events = Set(report.events.map(\.id)), runs = Set(report.jobRuns.map(\.id))
        let segments = Set(report.segments.map(Self.segmentKey))
        return acknowledgePrefix(maxPerKind: ReportLimits.maxItems) { item in
            switch item {
            case .event(let event): return events.contains(event.id)
            case .segment(let segment): return segments.contains(Self.segmentKey(segment))
            case .jobRun(let run): return runs.contains(run.id)
            }
        }
    }

    static func segmentKey(_ segment: SegmentRecord) -> String {
        "\(segment.station)/\(segment.name)/\(segment.archivePath ?? "")"
    }
}
