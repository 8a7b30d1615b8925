import CoreMetrics
import Foundation
import Prometheus

/// The coordinator's Prometheus metrics, on a registry of its own so several
/// coordinators can live in one test process.
public final class CoordinatorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let heartbeats: CoreMetrics.Counter
    let registrations: CoreMetrics.Counter
    let openWatches: CoreMetrics.Gauge
    let applies: CoreMetrics.Counter
    let revision: CoreMetrics.Gauge
    private let nodesByState: [String: CoreMetrics.Gauge]
    private let storeWritable: CoreMetrics.Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
        ]
        self.registry = registry
        self.factory = factory
        heartbeats = CoreMetrics.Counter(label: "stationfleet_heartbeats_received_total", factory: factory)
        registrations = CoreMetrics.Counter(label: "stationfleet_registrations_total", factory: factory)
        openWatches = CoreMetrics.Gauge(label: "stationfleet_open_watches", factory: factory)
        applies = CoreMetrics.Counter(label: "stationfleet_applies_total", factory: factory)
        revision = CoreMetrics.Gauge(label: "stationfleet_inventory_revision", factory: factory)
        var gauges: [String: CoreMetrics.Gauge] = [:]
        for state in ["online", "offline", "pending"] {
            gauges[state] = CoreMetrics.Gauge(label: "stationfleet_nodes", dimensions: [("state", state)], factory: factory)
        }
        nodesByState = gauges
        storeWritable = CoreMetrics.Gauge(label: "stationfleet_store_writable", factory: factory)
        storeWritable.record(1)
    }

    /// A node report (or registration) refused whole: `limits`, `rate`, `registration-rate`.
    func reportRefused(reason: String) {
        CoreMetrics.Counter(label: "stationfleet_reports_refused_total", dimensions: [("reason", reason)], factory: factory)
            .increment()
    }

    /// Items dropped from a node's report because they are not about its own stations or jobs.
    func itemsDropped(item: String, count: Int) {
        CoreMetrics.Counter(label: "stationfleet_report_items_dropped_total", dimensions: [("item", item)], factory: factory)
            .increment(by: count)
    }

    /// 1 while the store accepts writes, 0 while its disk is full or read-only.
    func setStoreWritable(_ writable: Bool) {
        storeWritable.record(writable ? 1 : 0)
    }

    /// A latency timer for one route, e.g. `POST /v1/nodes/{name}/heartbeat`.
    func requestTimer(route: String, status: Int) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "stationfleet_http_request_duration_seconds",
                          dimensions: [("route", route), ("status", String(status))], factory: factory)
    }

    func setNodeCounts(online: Int, offline: Int, pending: Int) {
        nodesByState["online"]?.record(online)
        nodesByState["offline"]?.record(offline)
        nodesByState["pending"]?.record(pending)
    }

    /// Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
