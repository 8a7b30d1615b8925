import Foundation

/// One message to one receiver about one alert group: what the outbox stores and a
/// `Notifier` delivers. Its `id` is the idempotency key (same on every retry of it).
///
/// ```swift
/// let note = AlertNotification(receiver: "ops-email", groupKey: #"{}:{alertname="SegmentStale", site="auklab"}"#,
///                         sequence: 3, alerts: [alert], groupLabels: ["site": "auklab"], externalURL: "http://nas:8443")
/// note.status          // .firing while any alert fires
/// note.commonLabels    // labels every alert shares
/// ```
public struct AlertNotification: Codable, Sendable, Equatable {
    public var id: String
    public var receiver: String
    public var groupKey: String
    /// 1, 2, 3… per (receiver, group key): the dispatcher's notification number.
    public var sequence: Int
    public var alerts: [Alert]
    public var groupLabels: [String: String]
    public var externalURL: String
    public var createdAt: Date

    public init(receiver: String, groupKey: String, sequence: Int, alerts: [Alert], groupLabels: [String: String],
                externalURL: String, createdAt: Date = Date()) {
        self.id = Self.idempotencyKey(receiver: receiver, groupKey: groupKey, sequence: sequence)
        self.receiver = receiver
        self.groupKey = groupKey
        self.sequence = sequence
        self.alerts = alerts
        self.groupLabels = groupLabels
        self.externalURL = externalURL
        self.createdAt = createdAt
    }

    public var status: AlertStatus { alerts.contains(where: \.isFiring) ? .firing : .resolved }
    public var firing: [Alert] { alerts.filter(\.isFiring) }
    public var resolved: [Alert] { alerts.filter { !$0.isFiring } }

    /// Labels with the same value on every alert.
    public var commonLabels: [String: String] { Self.common(alerts.map(\.labels)) }
    public var commonAnnotations: [String: String] { Self.common(alerts.map(\.annotations)) }

    public static func idempotencyKey(receiver: String, groupKey: String, sequence: Int) -> String {
        Alert.fingerprint(of: ["receiver": receiver, "groupKey": groupKey]) + "-\(sequence)"
    }

    private static func common(_ sets: [[String: String]]) -> [String: String] {
        guard var result = sets.first else { return [:] }
        for set in sets.dropFirst() { result = result.filter { set[$0.key] == $0.value } }
        return result
    }
}

/// Delivers notifications to one receiver (email, webhook, Alertmanager).
public protocol Notifier: Sendable {
    /// Sends one notification. Throws `.retryable` for failures that may pass (connection
    /// refused, timeout, 5xx, SMTP 4xx) and `.permanent` for those that will not (4xx, bad
    /// credentials file, SMTP 5xx).
    func send(_ notification: AlertNotification) async throws(NotifyError)
}

public enum NotifyError: Error, Equatable, CustomStringConvertible {
    case retryable(String)
    case permanent(String)

    public var description: String {
        switch self {
        case .retryable(let message): message
        case .permanent(let message): message
        }
    }
    public var isRetryable: Bool { if case .retryable = self { true } else { false } }
}
