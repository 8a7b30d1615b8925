import CoreMetrics
import Foundation
import Prometheus

/// The coordinator's Prometheus metrics, on a registry of its own so several
/// coordinators can live in one test process.
public final class CoordinatorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let heartbeats: CoreMetrics.Counter
    let heartbeatDeltas: CoreMetrics.Counter
    let heartbeatsUnchanged: CoreMetrics.Counter
    let registrations: CoreMetrics.Counter
    let openWatches: CoreMetrics.Gauge
    let applies: CoreMetrics.Counter
    let revision: CoreMetrics.Gauge
    private let nodesByState: [String: CoreMetrics.Gauge]
    private let storeWritable: CoreMetrics.Gauge
    private let leader: CoreMetrics.Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        heartbeats = Self.counter(registry, "stationfleet_heartbeats_received_total", help: "Heartbeats received from nodes.")
        heartbeatDeltas = Self.counter(registry, "stationfleet_heartbeat_deltas_received_total",
                                       help: "Heartbeats that carried only what changed since an acknowledged report.")
        heartbeatsUnchanged = Self.counter(registry, "stationfleet_heartbeats_unchanged_total",
                                           help: "Bodiless heartbeats of nodes whose status had not changed, answered 204.")
        registrations = Self.counter(registry, "stationfleet_registrations_total", help: "Node registrations accepted.")
        openWatches = Self.gauge(registry, "stationfleet_open_watches", help: "Watch long-polls parked right now.")
        applies = Self.counter(registry, "stationfleet_applies_total", help: "Inventory applies committed.")
        revision = Self.gauge(registry, "stationfleet_inventory_revision", help: "Current desired-state revision.")
        var gauges: [String: CoreMetrics.Gauge] = [:]
        for state in ["online", "offline", "pending"] {
            gauges[state] = Self.gauge(registry, "stationfleet_nodes", labels: [("state", state)],
                                       help: "Registered nodes by liveness state.")
        }
        nodesByState = gauges
        storeWritable = Self.gauge(registry, "stationfleet_store_writable",
                                   help: "1 while the store accepts writes, 0 while its disk is full or read-only.")
        storeWritable.record(1)
        leader = Self.gauge(registry, "stationfleet_coordinator_leader",
                            help: "1 while this coordinator holds the leader lease (evaluates alerts, sends notifications, prunes history, drives rollouts), else 0.")
        leader.record(0)
    }

    static let requestBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
    ]

    /// Metrics are made on the registry directly (not through the swift-metrics factory) so
    /// each carries its HELP text, as `promtool check metrics` requires.
    static func counter(_ registry: PrometheusCollectorRegistry, _ name: String, labels: [(String, String)] = [],
                        help: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: labels, handler: registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels))
    }

    static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, labels: [(String, String)] = [],
                      help: String) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: labels, aggregate: false, handler: registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels))
    }

    /// A node report (or registration) refused whole: `limits`, `rate`, `registration-rate`.
    func reportRefused(reason: String) {
        Self.counter(registry, "stationfleet_reports_refused_total", labels: [("reason", reason)],
                     help: "Node reports (or registrations) refused whole, by reason.").increment()
    }

    /// Items dropped from a node's report because they are not about its own stations or jobs.
    func itemsDropped(item: String, count: Int) {
        Self.counter(registry, "stationfleet_report_items_dropped_total", labels: [("item", item)],
                     help: "Report items dropped because they are not about the node's own stations or jobs.")
            .increment(by: count)
    }

    /// Bytes of remote output (log text, snapshot JPEGs) agents uploaded: `logs`, `snapshot`.
    func remoteOutputBytes(kind: String, _ bytes: Int) {
        Self.counter(registry, "stationfleet_remote_output_bytes_total", labels: [("kind", kind)],
                     help: "Bytes of remote output (log lines, snapshot JPEGs) uploaded by agents, by kind.")
            .increment(by: bytes)
    }

    /// 1 while the store accepts writes, 0 while its disk is full or read-only.
    func setLeader(_ leading: Bool) {
        leader.record(leading ? 1 : 0)
    }

    func setStoreWritable(_ writable: Bool) {
        storeWritable.record(writable ? 1 : 0)
    }

    /// A latency timer for one route, e.g. `POST /v1/nodes/{name}/heartbeat`.
    func requestTimer(route: String, status: Int) -> CoreMetrics.Timer {
        let labels = [("route", route), ("status", String(status))]
        let name = "stationfleet_http_request_duration_seconds"
        return CoreMetrics.Timer(label: name, dimensions: labels, handler: registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: "HTTP request latency by route and status."),
            labels: labels, buckets: Self.requestBuckets))
    }

    func setNodeCounts(online: Int, offline: Int, pending: Int) {
        nodesByState["online"]?.record(online)
        nodesByState["offline"]?.record(offline)
        nodesByState["pending"]?.record(pending)
    }

    /// Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
