import FleetInventory
import FleetProtocol
import Foundation

/// What the alert rules look at: per inventory node, its place (site and labels), what it
/// should run (stations, jobs with their intervals) and what it last reported. Built from
/// the desired state and kept current from the `FleetChange` feed; alerting never polls.
///
/// ```swift
/// var facts = FleetFacts()
/// facts.setDesired(desired)
/// facts.apply(.nodeReported(node: "pi1", report: report, at: now))
/// facts.nodes["pi1"]?.lastHeartbeat   // now
/// ```
struct FleetFacts {
    struct Job: Sendable, Equatable {
        var name: String
        var kind: JobRun.Kind
        /// Seconds between scheduled runs (daily: a day; weekly: a week).
        var intervalSeconds: Int
    }

    struct Node: Sendable {
        var name: String
        var site: String
        /// The site's labels, then the node's (a node label wins over its site's).
        var labels: [String: String]
        var stations: [String]
        var jobs: [Job]
        var lastHeartbeat: Date?
        var report: StatusReport?
        /// When the coordinator first knew this node in the inventory (for "never" cases).
        var knownSince: Date
        /// When each assigned station was first seen in a report.
        var stationSeen: [String: Date] = [:]
        /// (time, cumulative restarts) samples per station, newest last, for RecorderRestartLoop.
        var restartSamples: [String: [(Date, Int)]] = [:]
        /// Stations whose recorder stalled, failed or restarted and has not been seen writing
        /// since (its current segment growing, or a new segment): still stalled for alerting,
        /// even while a fresh ffmpeg says `recording` against a camera that sends nothing.
        var unproven: Set<String> = []
        /// The last reported current segment and its size, per station.
        var lastWrite: [String: (segment: String?, bytes: UInt64?, newest: String?, restarts: Int)] = [:]
    }

    private(set) var nodes: [String: Node] = [:]
    /// Set while the current rollout is stopped by a failure; RolloutFailed fires meanwhile.
    var rolloutFailure: RolloutFailure?
    /// How far back restart samples are kept.
    var restartWindowSeconds: Int = 900

    /// Replaces the desired part (which nodes, their stations and jobs), keeping what was observed.
    mutating func setDesired(_ desired: DesiredState, now: Date = Date()) {
        let siteLabels = Dictionary(desired.sites.map { ($0.name, $0.labels) }, uniquingKeysWith: { first, _ in first })
        var next: [String: Node] = [:]
        for config in desired.nodes {
            let assignment = desired.assignments[config.name]
            var jobs: [Job] = []
            for archive in assignment?.archives ?? [] {
                jobs.append(Job(name: archive.name, kind: .archive, intervalSeconds: Self.interval(of: archive.schedule)))
            }
            for backup in assignment?.backups ?? [] {
                jobs.append(Job(name: backup.name, kind: .backup, intervalSeconds: Self.interval(of: backup.schedule)))
            }
            let labels = (siteLabels[config.site] ?? [:]).merging(config.labels) { _, node in node }
            var node = nodes[config.name] ?? Node(name: config.name, site: config.site, labels: labels, stations: [],
                                                  jobs: [], lastHeartbeat: nil, report: nil, knownSince: now)
            node.site = config.site
            node.labels = labels
            node.stations = (assignment?.recorders ?? []).map(\.station)
            node.jobs = jobs
            next[config.name] = node
        }
        nodes = next
    }

    /// Takes in one change from the feed; returns whether anything the rules read changed.
    @discardableResult
    mutating func apply(_ change: FleetChange) -> Bool {
        switch change {
        case .nodeReported(let name, let report, let time):
            record(node: name, report: report, at: time)
            return true
        case .nodeTransition(let transition) where transition.kind == .deleted || transition.kind == .reset:
            guard nodes[transition.node] != nil else { return false }
            nodes[transition.node]?.report = nil
            nodes[transition.node]?.lastHeartbeat = nil
            return true
        case .rollout(let revision, let failure):
            rolloutFailure = failure.map { RolloutFailure(revision: revision, summary: $0) }
            return true
        default:
            return false
        }
    }

    /// A node's last heartbeat and report as restored from the store at start.
    mutating func restore(node name: String, lastHeartbeat: Date, report: StatusReport) {
        guard nodes[name] != nil else { return }
        nodes[name]?.lastHeartbeat = lastHeartbeat
        nodes[name]?.report = report
    }

    private mutating func record(node name: String, report: StatusReport, at time: Date) {
        guard var node = nodes[name] else { return }
        node.lastHeartbeat = time
        node.report = report
        let cutoff = time.addingTimeInterval(-TimeInterval(restartWindowSeconds))
        for station in report.stations {
            if node.stationSeen[station.station] == nil { node.stationSeen[station.station] = time }
            var samples = node.restartSamples[station.station] ?? []
            if samples.last?.1 != station.restarts || samples.isEmpty {
                samples.append((time, station.restarts))
            }
            // Keep one sample at or before the window's start as the baseline.
            while samples.count > 1, samples[1].0 <= cutoff { samples.removeFirst() }
            if samples.count > 64 { samples.removeFirst(samples.count - 64) }
            node.restartSamples[station.station] = samples
            track(&node, station)
        }
        nodes[name] = node
    }

    /// A recorder is unproven from a stall, back-off or restart until a report shows it writing.
    private func track(_ node: inout Node, _ station: StationStatus) {
        let name = station.station
        let previous = node.lastWrite[name]
        let restarted = previous.map { station.restarts > $0.restarts } ?? false
        switch station.state {
        case .stalled, .backingOff:
            node.unproven.insert(name)
        case .recording:
            let wrote = previous.map { before in
                (station.currentSegment != nil && station.currentSegment == before.segment
                    && (station.currentSegmentBytes ?? 0) > (before.bytes ?? 0))
                    || (station.newestSegment != nil && station.newestSegment != before.newest)
            } ?? false
            if wrote && !restarted {
                node.unproven.remove(name)
            } else if restarted {
                node.unproven.insert(name)
            }
        case .stopped, .unknown:
            node.unproven.remove(name)
        }
        node.lastWrite[name] = (station.currentSegment, station.currentSegmentBytes, station.newestSegment, station.restarts)
    }

    static func interval(of schedule: JobSchedule) -> Int {
        switch schedule.kind {
        case .every: return max(1, schedule.intervalSeconds ?? 3_600)
        case .daily: return 86_400
        case .weekly: return 604_800
        }
    }
}

/// A staged rollout stopped by a failure (from `FleetChange.rollout`): RolloutFailed fires.
///
/// ```swift
/// facts.apply(.rollout(revision: 8, failure: "rollout of revision 8 paused: canary pi1 failed: …"))
/// facts.rolloutFailure   // RolloutFailure(revision: 8, summary: "rollout of revision 8 paused: …")
/// ```
public struct RolloutFailure: Sendable, Equatable {
    public var revision: Int
    public var summary: String

    public init(revision: Int, summary: String) {
        self.revision = revision
        self.summary = summary
    }
}
