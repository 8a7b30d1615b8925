import FleetInventory
import FleetProtocol
import Foundation

/// An alert as the coordinator keeps it: the alert and, while it fires, who acknowledged it.
public struct AlertRecord: Codable, Sendable, Equatable {
    public var alert: Alert
    public var acknowledgement: Acknowledgement?

    public init(alert: Alert, acknowledgement: Acknowledgement? = nil) {
        self.alert = alert
        self.acknowledgement = acknowledgement
    }
}

/// One aggregation group (Alertmanager's): the alerts that share a route and the values of
/// its `groupBy` labels, and what was last notified about them to the route's receiver.
public struct GroupRecord: Codable, Sendable, Equatable {
    /// `receiver` + `groupKey`: unique per receiver.
    public var id: String { Self.id(receiver: options.receiver, groupKey: groupKey) }
    public var groupKey: String
    public var groupLabels: [String: String]
    public var options: RouteOptions
    /// The notification number last used (0: none yet).
    public var sequence: Int
    public var createdAt: Date
    /// When the group is next looked at: `groupWait` after it formed, then every `groupInterval`.
    public var nextFlushAt: Date
    public var lastNotifiedAt: Date?
    /// Fingerprints notified as firing / as resolved in the last notification.
    public var notifiedFiring: Set<String>
    public var notifiedResolved: Set<String>
    /// The alerts in the group now (fingerprints), firing or resolved-but-not-yet-notified.
    public var members: Set<String>

    public init(groupKey: String, groupLabels: [String: String], options: RouteOptions, createdAt: Date) {
        self.groupKey = groupKey
        self.groupLabels = groupLabels
        self.options = options
        self.sequence = 0
        self.createdAt = createdAt
        self.nextFlushAt = createdAt.addingTimeInterval(TimeInterval(options.groupWaitSeconds))
        self.lastNotifiedAt = nil
        self.notifiedFiring = []
        self.notifiedResolved = []
        self.members = []
    }

    public static func id(receiver: String, groupKey: String) -> String { receiver + "\u{1F}" + groupKey }
}

/// A notification in the outbox with its delivery state.
public struct OutboxEntry: Codable, Sendable, Equatable {
    public var notification: AlertNotification
    public var state: NotificationView.State
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Date
    public var sentAt: Date?

    public init(notification: AlertNotification, state: NotificationView.State = .pending, attempts: Int = 0,
                lastError: String? = nil, nextAttemptAt: Date, sentAt: Date? = nil) {
        self.notification = notification
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.sentAt = sentAt
    }

    public var view: NotificationView {
        let first = notification.alerts.first?.summary ?? ""
        let more = notification.alerts.count > 1 ? " (+\(notification.alerts.count - 1) more)" : ""
        return NotificationView(id: notification.id, receiver: notification.receiver, groupKey: notification.groupKey,
                                sequence: notification.sequence, status: notification.status.rawValue,
                                alerts: notification.alerts.count, summary: first + more, state: state,
                                attempts: attempts, lastError: lastError, createdAt: notification.createdAt,
                                sentAt: sentAt, nextAttemptAt: state == .pending ? nextAttemptAt : nil)
    }
}

/// What alerting changed in one step, stored in one transaction: alert state and the
/// notifications it causes are never written apart.
public struct AlertingCommit: Sendable, Equatable {
    public var upsertAlerts: [AlertRecord] = []
    public var deleteAlerts: [String] = []
    public var upsertGroups: [GroupRecord] = []
    public var deleteGroups: [String] = []
    public var newNotifications: [OutboxEntry] = []

    public init() {}

    public var isEmpty: Bool {
        upsertAlerts.isEmpty && deleteAlerts.isEmpty && upsertGroups.isEmpty && deleteGroups.isEmpty
            && newNotifications.isEmpty
    }
}

/// Everything alerting keeps, as loaded at start.
public struct AlertingSnapshot: Sendable, Equatable {
    public var alerts: [AlertRecord]
    public var groups: [GroupRecord]
    /// Pending notifications, oldest first.
    public var pending: [OutboxEntry]
    public var silences: [SilenceView]

    public init(alerts: [AlertRecord] = [], groups: [GroupRecord] = [], pending: [OutboxEntry] = [],
                silences: [SilenceView] = []) {
        self.alerts = alerts
        self.groups = groups
        self.pending = pending
        self.silences = silences
    }
}
