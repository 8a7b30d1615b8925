import Foundation

/// The JSON body a webhook receives: Alertmanager's webhook message, version "4"
/// (`notify/webhook/webhook.go` `Message` = `template.Data` + version, groupKey,
/// truncatedAlerts), so receivers written for Alertmanager work unchanged. Times are
/// RFC 3339 in UTC; a firing alert's `endsAt` is Go's zero time `0001-01-01T00:00:00Z`.
///
/// ```swift
/// let body = try WebhookPayload(notification, maxAlerts: 10).encoded()
/// ```
public struct WebhookPayload: Codable, Sendable, Equatable {
    public struct Alert: Codable, Sendable, Equatable {
        public var status: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var startsAt: String
        public var endsAt: String
        public var generatorURL: String
        public var fingerprint: String
    }

    public var version: String
    public var groupKey: String
    public var truncatedAlerts: Int
    public var status: String
    public var receiver: String
    public var groupLabels: [String: String]
    public var commonLabels: [String: String]
    public var commonAnnotations: [String: String]
    public var externalURL: String
    public var alerts: [Alert]

    /// Go's zero `time.Time`, which Alertmanager sends as `endsAt` while an alert fires.
    public static let zeroTime = "0001-01-01T00:00:00Z"

    /// - Parameter maxAlerts: at most this many alerts (0: all); the rest are counted in
    ///   `truncatedAlerts`. Firing alerts come first, as in the email.
    public init(_ notification: AlertNotification, maxAlerts: Int) {
        let ordered = notification.firing + notification.resolved
        let kept = maxAlerts > 0 ? Array(ordered.prefix(maxAlerts)) : ordered
        version = "4"
        groupKey = notification.groupKey
        truncatedAlerts = ordered.count - kept.count
        status = notification.status.rawValue
        receiver = notification.receiver
        groupLabels = notification.groupLabels
        commonLabels = notification.commonLabels
        commonAnnotations = notification.commonAnnotations
        externalURL = notification.externalURL
        alerts = kept.map { alert in
            Alert(status: alert.isFiring ? "firing" : "resolved", labels: alert.labels, annotations: alert.annotations,
                  startsAt: Self.rfc3339(alert.startsAt), endsAt: alert.endsAt.map(Self.rfc3339) ?? Self.zeroTime,
                  generatorURL: alert.generatorURL, fingerprint: alert.fingerprint)
        }
    }

    /// The exact bytes that are POSTed (and signed).
    public func encoded() throws(NotifyError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(self)
        } catch {
            throw .permanent("cannot encode the webhook payload: \(error)")
        }
    }

    static func rfc3339(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
