import FleetInventory
import FleetProtocol
import Foundation

/// The built-in alert rules. `evaluate` is a pure function of the facts, the thresholds
/// and the time: it returns every alert whose condition holds now, each with its identifying
/// labels (`alertname`, `severity`, `site`, `node`, `station`/`job`/`path`/`unit`, and the
/// site's and node's labels) and a one-line summary carrying the measured value.
///
/// ```swift
/// let rules = AlertRules(thresholds: alerts.thresholds)
/// let (firing, unjudged) = rules.evaluate(facts, now: Date(), watchingSince: start)
/// // [Alert(labels: ["alertname": "SegmentStale", "station": "ROST2", …],
/// //        annotations: ["summary": "ROST2 on recordingpi: newest segment 14m old (threshold 2m)"])]
/// ```
struct AlertRules {
    var thresholds: AlertThresholds

    /// The firing alerts, and the nodes whose last report is too old to judge (offline, or
    /// not heard from since `watchingSince`, the start of this coordinator's watch): for
    /// those only NodeOffline is decided, and the caller keeps their other alerts as they were.
    func evaluate(_ facts: FleetFacts, now: Date, watchingSince: Date = .distantPast) -> (alerts: [Alert], unjudged: Set<String>) {
        var alerts: [Alert] = []
        var unjudged = Set<String>()
        let newestVersion = thresholds.agentVersionSkew ? Self.newestVersion(facts) : nil
        for node in facts.nodes.values {
            guard let last = node.lastHeartbeat else { continue }
            // A coordinator that was down does not blame the nodes for its own absence.
            let silent = now.timeIntervalSince(max(last, watchingSince))
            if silent > Double(thresholds.nodeOfflineAfterSeconds) {
                alerts.append(alert("NodeOffline", .critical, node,
                                    "\(node.name): no heartbeat for \(Format.duration(now.timeIntervalSince(last))) (threshold \(Format.duration(thresholds.nodeOfflineAfterSeconds)))"))
            }
            let current = last >= watchingSince && now.timeIntervalSince(last) <= Double(thresholds.nodeOfflineAfterSeconds)
            guard current, let report = node.report else {
                unjudged.insert(node.name)
                continue
            }
            nodeRules(node, report: report, newestVersion: newestVersion, into: &alerts)
            stationRules(node, report: report, now: now, into: &alerts)
            jobRules(node, report: report, now: now, into: &alerts)
        }
        if let failure = facts.rolloutFailure {
            alerts.append(Alert(labels: ["alertname": "RolloutFailed", "severity": Severity.critical.rawValue,
                                         "revision": String(failure.revision)],
                                annotations: ["summary": failure.summary], startsAt: .distantPast))
        }
        return (alerts, unjudged)
    }

    // MARK: Node

    private func nodeRules(_ node: FleetFacts.Node, report: StatusReport, newestVersion: String?, into alerts: inout [Alert]) {
        for metric in report.storage where metric.usedPercent > thresholds.diskUsageAbovePercent {
            alerts.append(alert("DiskUsageHigh", .warning, node,
                                "\(node.name): \(metric.path) \(Format.percent(metric.usedPercent)) used (threshold \(Format.percent(thresholds.diskUsageAbovePercent)))",
                                extra: ["path": metric.path]))
        }
        for unit in report.failedUnits ?? [] {
            alerts.append(alert("UnitFailed", .warning, node, "\(node.name): systemd unit \(unit) failed", extra: ["unit": unit]))
        }
        if let newestVersion, report.agentVersion != newestVersion {
            alerts.append(alert("AgentVersionSkew", .info, node,
                                "\(node.name): agent \(report.agentVersion), newest in the fleet \(newestVersion)"))
        }
    }

    // MARK: Stations

    private func stationRules(_ node: FleetFacts.Node, report: StatusReport, now: Date, into alerts: inout [Alert]) {
        // A node has a handful of stations: a linear search beats building a dictionary of
        // copied statuses per node per evaluation (the evaluation's largest cost at 40,000 stations).
        let statuses = report.stations
        let index: [String: Int]? = statuses.count > 16
            ? Dictionary(statuses.indices.map { (statuses[$0].station, $0) }, uniquingKeysWith: { first, _ in first })
            : nil
        for station in node.stations {
            let position = index.map { $0[station] } ?? statuses.firstIndex { $0.station == station }
            guard let position else { continue }
            let status = statuses[position]
            let extra = ["station": station]
            let place = "\(station) on \(node.name)"
            if status.state == .stalled || status.state == .backingOff {
                let detail = status.lastError.map { ": \(Format.line($0))" } ?? ""
                alerts.append(alert("RecorderStalled", .critical, node,
                                    "\(place): recorder \(status.state.rawValue) after \(status.restarts) restarts\(detail)", extra: extra))
            } else if status.state == .recording && node.unproven.contains(station) {
                // Restarted but not seen writing yet: one alert through the whole outage, not
                // one per restart attempt.
                alerts.append(alert("RecorderStalled", .critical, node,
                                    "\(place): recorder restarted \(status.restarts) times and has not written since", extra: extra))
            }
            let restarts = restartsInWindow(node.restartSamples[station] ?? [], now: now)
            if restarts > thresholds.recorderRestartsAbove {
                alerts.append(alert("RecorderRestartLoop", .warning, node,
                                    "\(place): \(restarts) restarts in \(Format.duration(thresholds.restartWindowSeconds)) (threshold \(thresholds.recorderRestartsAbove))",
                                    extra: extra))
            }
            let stale = Double(thresholds.segmentStaleAfterSeconds)
            if let newest = status.newestSegmentTime(heardAt: node.lastHeartbeat) {
                let age = now.timeIntervalSince(newest)
                if age > stale {
                    alerts.append(alert("SegmentStale", .critical, node,
                                        "\(place): newest segment \(Format.duration(age)) old (threshold \(Format.duration(thresholds.segmentStaleAfterSeconds)))",
                                        extra: extra))
                }
            } else if let seen = node.stationSeen[station], now.timeIntervalSince(seen) > stale {
                alerts.append(alert("SegmentStale", .critical, node,
                                    "\(place): no complete segment in \(Format.duration(now.timeIntervalSince(seen))) (threshold \(Format.duration(thresholds.segmentStaleAfterSeconds)))",
                                    extra: extra))
            }
        }
    }

    /// Restarts counted within the window: the newest sample minus the baseline at or before
    /// the window's start (a counter that went down, an agent restart, counts from zero).
    private func restartsInWindow(_ samples: [(Date, Int)], now: Date) -> Int {
        guard let newest = samples.last else { return 0 }
        let cutoff = now.addingTimeInterval(-Double(thresholds.restartWindowSeconds))
        var total = 0
        var previous: Int?
        for (time, count) in samples {
            if let before = previous, time > cutoff {
                total += count >= before ? count - before : count
            }
            previous = count
        }
        _ = newest
        return total
    }

    // MARK: Jobs

    private func jobRules(_ node: FleetFacts.Node, report: StatusReport, now: Date, into alerts: inout [Alert]) {
        let statuses = Dictionary(report.jobs.map { ($0.job, $0) }, uniquingKeysWith: { first, _ in first })
        for job in node.jobs {
            guard let status = statuses[job.name] else { continue }
            let extra = ["job": job.name]
            let place = "\(job.name) on \(node.name)"
            let failedLast = status.lastFailureAt.map { failure in status.lastSuccessAt.map { failure > $0 } ?? true } ?? false
            let error = status.lastError.map { ": \(Format.line($0))" } ?? ""
            switch job.kind {
            case .archive:
                if failedLast {
                    alerts.append(alert("ArchiveFailing", .warning, node, "\(place): last archive run failed\(error)", extra: extra))
                }
                if let age = status.oldestUnarchivedAgeSeconds, age > Double(thresholds.archiveBacklogAboveSeconds) {
                    alerts.append(alert("ArchiveBacklogHigh", .warning, node,
                                        "\(place): oldest unarchived file \(Format.duration(age)) old, \(status.backlogFiles) files waiting (threshold \(Format.duration(thresholds.archiveBacklogAboveSeconds)))",
                                        extra: extra))
                }
            case .backup:
                if failedLast {
                    alerts.append(alert("BackupFailed", .critical, node, "\(place): last backup failed\(error)", extra: extra))
                }
                let overdue = Double(2 * job.intervalSeconds)
                let since = status.lastSuccessAt ?? node.knownSince
                if now.timeIntervalSince(since) > overdue {
                    let what = status.lastSuccessAt == nil ? "no successful backup in" : "last successful backup"
                    let tail = status.lastSuccessAt == nil ? "" : " ago"
                    alerts.append(alert("BackupOverdue", .warning, node,
                                        "\(place): \(what) \(Format.duration(now.timeIntervalSince(since)))\(tail) (expected every \(Format.duration(job.intervalSeconds)))",
                                        extra: extra))
                }
            }
            if let hours = status.diskFullInHours, hours * 3_600 < Double(thresholds.diskFullWithinSeconds) {
                alerts.append(alert("DiskFillingUp", .warning, node,
                                    "\(place): disk full in \(Format.duration(hours * 3_600)) at the current rate (threshold \(Format.duration(thresholds.diskFullWithinSeconds)))",
                                    extra: extra))
            }
        }
    }

    // MARK: Helpers

    enum Severity: String { case critical, warning, info }

    private func alert(_ name: String, _ severity: Severity, _ node: FleetFacts.Node, _ summary: String,
                       extra: [String: String] = [:]) -> Alert {
        var labels = node.labels
        labels["alertname"] = name
        labels["severity"] = severity.rawValue
        labels["site"] = node.site
        labels["node"] = node.name
        for (key, value) in extra { labels[key] = value }
        // startsAt is set by the alert book when the alert is new.
        return Alert(labels: labels, annotations: ["summary": summary], startsAt: .distantPast)
    }

    private static func newestVersion(_ facts: FleetFacts) -> String? {
        let versions = facts.nodes.values.compactMap { $0.report?.agentVersion }
        return versions.max { $0.compare($1, options: .numeric) == .orderedAscending }
    }
}

/// Human formatting for summaries: `75s`, `14m`, `3h`, `2d`, `91%`.
enum Format {
    static func duration(_ seconds: Int) -> String { duration(Double(seconds)) }

    static func duration(_ seconds: Double) -> String {
        let value = max(0, seconds)
        switch value {
        case ..<120: return "\(Int(value))s"
        case ..<7_200: return "\(Int(value / 60))m"
        case ..<172_800: return "\(Int(value / 3_600))h"
        default: return "\(Int(value / 86_400))d"
        }
    }

    static func percent(_ value: Double) -> String { "\(Int(value.rounded()))%" }

    /// The first line of a message, at most 160 characters.
    static func line(_ text: String) -> String {
        let first = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return first.count > 160 ? String(first.prefix(157)) + "…" : first
    }
}
