import FleetProtocol
import Foundation

extension Fleet {
    /// The status pipeline: everything a node reports enters here.
    ///
    /// 1. Bounds: a report outside `ReportLimits` is refused whole (400, field and limit named).
    /// 2. Rate: each node has a token bucket; a node that reports too fast gets 429 with
    ///    `Retry-After` and its items stay in its outbox.
    /// 3. Scope: items about stations or jobs not in the node's current (or just previous)
    ///    assignment are dropped, counted and logged; command results only for its commands.
    /// 4. Durable items are stored before the answer; then liveness and observed state are
    ///    updated and the changes published on `changes`.
    public func heartbeat(node: String, report incoming: StatusReport) async throws -> StatusAck {
        if let violation = incoming.limitViolation() {
            metrics.reportRefused(reason: "limits")
            logger.warning("report refused", metadata: ["node": "\(node)", "reason": "\(violation)"])
            throw FleetError.badRequest("report refused: \(violation)")
        }
        let now = Date()
        if case .retryAfter(let seconds) = reportLimiter.take(Self.cost(of: incoming), for: node, now: now) {
            metrics.reportRefused(reason: "rate")
            logger.notice("report rate-limited", metadata: ["node": "\(node)", "retryAfter": "\(seconds)"])
            throw FleetError.tooManyRequests("node \(node) is reporting faster than allowed; retry in \(seconds)s",
                                             retryAfterSeconds: seconds)
        }
        let (report, refusals) = book.scope(of: node).filter(incoming)
        for refusal in refusals { metrics.itemsDropped(item: refusal.item, count: refusal.count) }
        for line in droppedItemsLog.admit(node: node, refusals: refusals, now: now) {
            logger.warning("report items dropped (logged once a minute per node at most; the metric counts all)",
                           metadata: ["node": "\(node)", "item": "\(line.item)", "count": "\(line.count)", "reason": "\(line.reason)"])
        }

        var published: [FleetChange] = []
        do {
            try await store.recordEvents(report.events, node: node)
            try await store.recordSegments(report.segments, node: node, merge: SegmentMerge.merge)
            try await store.recordJobRuns(report.jobRuns, node: node)
            for result in report.commandResults {
                if let view = try await complete(result, node: node) { published.append(.command(view)) }
            }
        } catch {
            noteStore(error)  // a full disk shows in readiness and the gauge at once, not at the next probe
            throw error
        }

        let transition = tracker.heartbeat(node: node, at: now, intervalSeconds: heartbeatSeconds(of: node))
        let stationChanges = observed.record(node: node, report: report)
        metrics.heartbeats.increment()
        if let transition {
            logger.notice("node online", metadata: ["node": "\(node)", "detail": "\(transition.message)"])
            refreshNodeGauges()
            await recordTransitions([transition])
        }
        if !report.events.isEmpty { published.append(.events(node: node, report.events)) }
        if !report.segments.isEmpty { published.append(.segments(node: node, report.segments)) }
        if !report.jobRuns.isEmpty { published.append(.jobRuns(node: node, report.jobRuns)) }
        published += stationChanges.map(FleetChange.stationState)
        if let standing = observed[node]?.report { published.append(.nodeReported(node: node, report: standing, at: now)) }
        changes.publish(published)
        if let standing = observed[node]?.report { await rolloutObserve(node: node, report: standing, now: now) }
        return StatusAck(heartbeatSeconds: heartbeatSeconds(of: node), desiredRevision: book.served(node)?.revision ?? 0)
    }

    /// A report's cost in rate-limit tokens: one, plus one per 32 KiB of items it asks to store.
    static func cost(of report: StatusReport) -> Double {
        var bytes = 0
        for event in report.events { bytes += 256 + event.message.utf8.count }
        bytes += report.segments.count * 256
        for run in report.jobRuns { bytes += 256 + (run.error?.utf8.count ?? 0) }
        return 1 + Double(bytes) / 32_768
    }

    /// Per-node report budget: a burst of 120 tokens, 2 a second (a full 500-item backlog
    /// batch costs about 5, a heartbeat 1).
    static func makeReportLimiter() -> RateLimiter { RateLimiter(capacity: 120, refillPerSecond: 2) }
}
