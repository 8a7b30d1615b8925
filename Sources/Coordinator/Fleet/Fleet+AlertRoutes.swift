import FleetProtocol
import Foundation

extension Fleet {
    /// The `alerts` block of the applied inventory (nil before an apply or without one).
    public func appliedAlerts() -> AlertsConfig? {
        book.desired?.alerts
    }

    /// The applied revision together with its alerts block, read in one step.
    public func appliedAlertsWithRevision() -> (revision: Int, alerts: AlertsConfig?) {
        (book.revision, book.desired?.alerts)
    }
}
