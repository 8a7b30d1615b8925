import CoreMetrics
import FleetProtocol
import FoundationEssentials
import Prometheus
import Synchronization

/// The agent's own Prometheus metrics, served on its local status endpoint. Every metric
/// carries HELP text and a unit in its name, so `promtool check metrics` passes.
public final class AgentMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let heartbeatsSent: CoreMetrics.Counter
    let heartbeatFailures: CoreMetrics.Counter
    let reconciles: CoreMetrics.Counter
    let appliedRevision: CoreMetrics.Gauge
    let outboxItems: CoreMetrics.Gauge
    let outboxBytes: CoreMetrics.Gauge
    let outboxOverCap: CoreMetrics.Gauge
    let commandsRun: CoreMetrics.Counter
    private let recorders = Mutex(RecorderSeries())

    public init() {
        heartbeatsSent = Self.counter(registry, "stationfleet_agent_heartbeats_sent_total",
                                      help: "Heartbeats the coordinator acknowledged.")
        heartbeatFailures = Self.counter(registry, "stationfleet_agent_heartbeat_failures_total",
                                         help: "Heartbeats that failed or were refused.")
        reconciles = Self.counter(registry, "stationfleet_agent_reconciles_total", help: "Reconcile loop passes completed.")
        appliedRevision = Self.gauge(registry, "stationfleet_agent_applied_revision",
                                     help: "Desired-state revision this agent has applied.")
        outboxItems = Self.gauge(registry, "stationfleet_agent_outbox_items",
                                 help: "Events, segments, job runs and command results waiting to be acknowledged.")
        outboxBytes = Self.gauge(registry, "stationfleet_agent_outbox_bytes",
                                 help: "Bytes of the on-disk journal of queued events, segments and job runs.")
        outboxOverCap = Self.gauge(registry, "stationfleet_agent_outbox_over_cap",
                                   help: "1 while undelivered segments and events alone exceed --outbox-max-bytes (kept, never dropped).")
        commandsRun = Self.counter(registry, "stationfleet_agent_commands_total", help: "Commands from the coordinator run.")
    }

    /// Updates the per-station recorder series from the supervisor's statuses (called on each scrape).
    public func updateRecorders(_ statuses: [StationStatus], now: Date = Date()) {
        let registry = self.registry
        recorders.withLock { $0.update(statuses, now: now, registry: registry) }
    }

    public func render() -> String { registry.emitToString() }

    static func counter(_ registry: PrometheusCollectorRegistry, _ name: String, help: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: [], handler: registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help)))
    }

    static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, help: String) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: [], aggregate: false, handler: registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help)))
    }
}

/// Per-station recorder series:
/// - `stationfleet_recorder_up{station}`: 1 while recording;
/// - `stationfleet_recorder_state{station,state}`: state set, 1 for the current state;
/// - `stationfleet_recorder_restarts_total{station}`;
/// - `stationfleet_recorder_newest_segment_age_seconds{station}` (absent until a segment finished);
/// - `stationfleet_recorder_current_segment_bytes{station}`;
/// - `stationfleet_recorder_bytes_written_total{station}`: bytes seen written, sampled at each
///   scrape (the tail of a segment written after the last scrape before it closed is not counted).
struct RecorderSeries {
    private struct Station {
        var up: Prometheus.Gauge
        var states: [RecorderState: Prometheus.Gauge]
        var restarts: Prometheus.Counter
        var restartsSeen: Int
        var age: Prometheus.Gauge?
        var currentBytes: Prometheus.Gauge
        var written: Prometheus.Counter
        var segment: String?
        var segmentBytes: UInt64
    }
    private var stations: [String: Station] = [:]

    mutating func update(_ statuses: [StationStatus], now: Date, registry: PrometheusCollectorRegistry) {
        let present = Set(statuses.map(\.station))
        for (name, gone) in stations where !present.contains(name) {
            registry.unregisterGauge(gone.up)
            gone.states.values.forEach { registry.unregisterGauge($0) }
            registry.unregisterCounter(gone.restarts)
            gone.age.map { registry.unregisterGauge($0) }
            registry.unregisterGauge(gone.currentBytes)
            registry.unregisterCounter(gone.written)
            stations[name] = nil
        }
        for status in statuses {
            var station = stations[status.station] ?? Self.make(status.station, registry: registry)
            station.up.set(to: status.state == .recording ? 1.0 : 0.0)
            for (state, gauge) in station.states { gauge.set(to: state == status.state ? 1.0 : 0.0) }
            if status.restarts > station.restartsSeen {
                station.restarts.increment(by: Int64(status.restarts - station.restartsSeen))
            }
            station.restartsSeen = status.restarts
            if let newest = status.newestSegmentAt {
                let gauge = station.age ?? registry.makeGauge(
                    descriptor: Self.name("newest_segment_age", unit: "seconds",
                                          help: "Seconds since the station's newest finished segment began."),
                    labels: [("station", status.station)])
                gauge.set(to: max(0, now.timeIntervalSince(newest)))
                station.age = gauge
            }
            let bytes = status.currentSegmentBytes ?? 0
            station.currentBytes.set(to: Double(bytes))
            if status.currentSegment == station.segment {
                if bytes > station.segmentBytes { station.written.increment(by: Int64(bytes - station.segmentBytes)) }
            } else if bytes > 0 {
                station.written.increment(by: Int64(bytes))
            }
            station.segment = status.currentSegment
            station.segmentBytes = bytes
            stations[status.station] = station
        }
    }

    private static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "stationfleet", subsystem: "recorder", metricName: metric, unitName: unit, helpText: help)
    }

    private static func make(_ station: String, registry: PrometheusCollectorRegistry) -> Station {
        let labels = [("station", station)]
        var states: [RecorderState: Prometheus.Gauge] = [:]
        for state in RecorderState.allCases {
            states[state] = registry.makeGauge(
                descriptor: name("state", unit: "", help: "Recorder state set: 1 for the station's current state."),
                labels: [("station", station), ("state", state.rawValue)])
        }
        return Station(
            up: registry.makeGauge(descriptor: name("up", unit: "", help: "1 while the station's recorder is recording."),
                                   labels: labels),
            states: states,
            restarts: registry.makeCounter(descriptor: name("restarts", unit: "total", help: "Recorder restarts."),
                                           labels: labels),
            restartsSeen: 0,
            age: nil,
            currentBytes: registry.makeGauge(
                descriptor: name("current_segment", unit: "bytes", help: "Size of the segment being written now."),
                labels: labels),
            written: registry.makeCounter(
                descriptor: name("written", unit: "bytes_total", help: "Bytes of segments written, sampled at each scrape."),
                labels: labels),
            segment: nil, segmentBytes: 0)
    }
}
