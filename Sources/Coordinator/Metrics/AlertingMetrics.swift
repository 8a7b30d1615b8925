import CoreMetrics
import Foundation
import Prometheus

/// Alerting's series on the coordinator's registry.
extension CoordinatorMetrics {
    /// `stationfleet_alerts_firing{alertname}`: firing alerts by name (muted ones included).
    func setAlertsFiring(_ counts: [String: Int], known: Set<String>) {
        for name in known.union(counts.keys) {
            Self.gauge(registry, "stationfleet_alerts_firing", labels: [("alertname", name)],
                       help: "Firing alerts by name, muted ones included.").record(counts[name] ?? 0)
        }
    }

    /// `stationfleet_notifications_total{receiver,outcome}`: `sent`, `retried` or `failed`.
    func notification(receiver: String, outcome: String) {
        Self.counter(registry, "stationfleet_notifications_total", labels: [("receiver", receiver), ("outcome", outcome)],
                     help: "AlertNotification attempts by receiver and outcome (sent, retried, failed).").increment()
    }

    /// `stationfleet_notifications_pending`: messages in the outbox not yet delivered.
    func setNotificationsPending(_ count: Int) {
        Self.gauge(registry, "stationfleet_notifications_pending",
                   help: "Notifications waiting in the outbox.").record(count)
    }
}
