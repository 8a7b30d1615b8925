import FleetProtocol
import Foundation

/// The multi-line `describe node` and `describe station` views. Never prints a credential:
/// the station's camera is `host:port/path` as the coordinator sends it.
public enum DescribeView {
    /// Everything known about one node: state, revisions, storage, jobs and recent events.
    public static func node(_ node: NodeView, now: Date) -> String {
        var out = fields([
            ("Name", node.name),
            ("Site", node.site),
            ("State", node.state.rawValue),
            ("Registered", node.registered ? "yes" : "no"),
            ("Revision", revision(applied: node.appliedRevision, desired: node.desiredRevision)),
            ("Last heartbeat", node.lastHeartbeatAgeSeconds.map { "\(Formatting.age($0)) ago" } ?? "never"),
            ("Agent version", node.agentVersion ?? "-"),
            ("Agent upgrade", agentUpgrade(node)),
            ("Disk used", Formatting.percent(node.diskUsedPercent)),
        ])
        out += "Storage:\n"
        if let storage = node.storage, !storage.isEmpty {
            var table = TextTable(header: ["PATH", "USED", "FREE", "SIZE"])
            for metric in storage {
                table.rows.append([metric.path, Formatting.percent(metric.usedPercent),
                                   Formatting.bytes(metric.freeBytes), Formatting.bytes(metric.totalBytes)])
            }
            out += table.render(indent: "  ")
        } else {
            out += "  (none reported)\n"
        }
        out += "Jobs:\n"
        if let jobs = node.jobs, !jobs.isEmpty {
            var table = TextTable(header: ["JOB", "KIND", "LAST-SUCCESS", "LAST-FAILURE", "BACKLOG", "OLDEST", "DISK-FULL-IN", "NEXT-RUN"])
            for job in jobs {
                table.rows.append([
                    job.job, job.kind.rawValue,
                    job.lastSuccessAt.map { "\(Formatting.age(now.timeIntervalSince($0))) ago" } ?? "never",
                    job.lastFailureAt.map { "\(Formatting.age(now.timeIntervalSince($0))) ago" } ?? "-",
                    "\(job.backlogFiles) files, \(Formatting.bytes(job.backlogBytes))",
                    Formatting.age(job.oldestUnarchivedAgeSeconds),
                    job.diskFullInHours.map { Formatting.duration($0 * 3600) } ?? "-",
                    job.progress != nil ? "running" : job.nextRunAt.map { "in \(Formatting.age($0.timeIntervalSince(now)))" } ?? "-",
                ])
            }
            out += table.render(indent: "  ")
            for job in jobs {
                if let error = job.lastError { out += "  \(job.job) last error: \(error.firstLine)\n" }
            }
            out += running(jobs, now: now)
        } else {
            out += "  (none)\n"
        }
        out += events(node.recentEvents, now: now)
        return out
    }

    /// `Running:` with a progress bar per running job and when its run started; empty when none runs.
    static func running(_ jobs: [JobStatus], now: Date) -> String {
        let running = jobs.compactMap { job in job.progress.map { (job, $0) } }
        guard !running.isEmpty else { return "" }
        return "Running:\n" + running.map { job, progress in
            let bar = ProgressBar(label: "\(job.kind.rawValue) \(job.job)", progress: progress).line(width: 100)
            return "  \(bar)  started \(Formatting.age(now.timeIntervalSince(progress.startedAt))) ago\n"
        }.joined()
    }

    /// `wants 0.2.0: downloading 12.0 MB of 48.2 MB`, `wants 0.2.0: rolled-back (exited-at-start): …`,
    /// `-` when no version is wanted or the node runs it.
    static func agentUpgrade(_ node: NodeView) -> String {
        guard let wanted = node.wantedAgentVersion else { return "-" }
        if node.agentVersion == wanted, node.agentUpgrade == nil { return "runs the wanted \(wanted)" }
        guard let upgrade = node.agentUpgrade, upgrade.version == wanted else { return "wants \(wanted): not started" }
        var text = "wants \(wanted): \(upgrade.state.rawValue)"
        if upgrade.state == .downloading, let done = upgrade.bytesDone, let total = upgrade.bytesTotal {
            text += " \(Formatting.bytes(UInt64(max(0, done)))) of \(Formatting.bytes(UInt64(max(0, total))))"
        }
        if let reason = upgrade.reason { text += " (\(reason.rawValue))" }
        if let detail = upgrade.detail { text += ": \(detail.firstLine)" }
        return text
    }

    /// Everything known about one station: camera, recorder state, segments, events and commands.
    public static func station(_ station: StationView, now: Date) -> String {
        var out = fields([
            ("Name", station.name),
            ("Node", station.node),
            ("Site", station.site),
            ("Camera", station.camera),
            ("State", station.state.rawValue),
            ("PID", station.pid.map(String.init) ?? "-"),
            ("Restarts", String(station.restarts)),
            ("Segment length", Formatting.duration(Double(station.segmentSeconds))),
            ("Current segment", ResourceTables.segment(station.currentSegment, bytes: station.currentSegmentBytes)),
            ("Newest segment", newest(station)),
            ("Last error", station.lastError?.firstLine ?? "-"),
            ("Last snapshot", station.lastSnapshotAt.map { Formatting.timeAndAge($0, now: now) } ?? "-"),
        ])
        out += events(station.recentEvents, now: now)
        out += "Recent commands:\n"
        if let commands = station.recentCommands, !commands.isEmpty {
            var table = TextTable(header: ["ID", "KIND", "NODE", "STATE", "ISSUED", "MESSAGE"])
            for command in commands {
                table.rows.append([command.id, command.kind.rawValue, command.node, command.state.rawValue,
                                   "\(Formatting.age(now.timeIntervalSince(command.issuedAt))) ago",
                                   command.message?.firstLine ?? "-"])
            }
            out += table.render(indent: "  ")
        } else {
            out += "  (none)\n"
        }
        return out
    }

    static func revision(applied: Int, desired: Int) -> String {
        applied == desired ? "\(applied) (up to date)" : "applied \(applied), desired \(desired)"
    }

    static func newest(_ station: StationView) -> String {
        switch (station.newestSegment, station.newestSegmentAgeSeconds) {
        case let (name?, age?): return "\(name) (\(Formatting.age(age)) ago)"
        case let (name?, nil): return name
        case let (nil, age?): return "\(Formatting.age(age)) ago"
        case (nil, nil): return "-"
        }
    }

    static func fields(_ pairs: [(String, String)]) -> String {
        let width = (pairs.map(\.0.count).max() ?? 0) + 2
        return pairs.map { name, value in
            (name + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value + "\n"
        }.joined()
    }

    static func events(_ events: [AgentEvent]?, now: Date) -> String {
        let out = "Recent events:\n"
        guard let events, !events.isEmpty else { return out + "  (none)\n" }
        var table = TextTable(header: ["TIME", "AGE", "KIND", "SUBJECT", "MESSAGE"])
        for event in events.sorted(by: { $0.time < $1.time }) {
            table.rows.append([Formatting.time(event.time), Formatting.age(now.timeIntervalSince(event.time)),
                               event.kind, event.station ?? event.job ?? "-", event.message.firstLine])
        }
        return out + table.render(indent: "  ")
    }
}
