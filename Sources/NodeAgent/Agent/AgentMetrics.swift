import CoreMetrics
import Prometheus

/// The agent's own Prometheus metrics, served on its local status endpoint.
public final class AgentMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let heartbeatsSent: CoreMetrics.Counter
    let heartbeatFailures: CoreMetrics.Counter
    let reconciles: CoreMetrics.Counter
    let appliedRevision: CoreMetrics.Gauge
    let outboxItems: CoreMetrics.Gauge
    let commandsRun: CoreMetrics.Counter

    public init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        heartbeatsSent = CoreMetrics.Counter(label: "stationfleet_agent_heartbeats_sent_total", factory: factory)
        heartbeatFailures = CoreMetrics.Counter(label: "stationfleet_agent_heartbeat_failures_total", factory: factory)
        reconciles = CoreMetrics.Counter(label: "stationfleet_agent_reconciles_total", factory: factory)
        appliedRevision = CoreMetrics.Gauge(label: "stationfleet_agent_applied_revision", factory: factory)
        outboxItems = CoreMetrics.Gauge(label: "stationfleet_agent_outbox_items", factory: factory)
        commandsRun = CoreMetrics.Counter(label: "stationfleet_agent_commands_total", factory: factory)
    }

    public func render() -> String { registry.emitToString() }
}
