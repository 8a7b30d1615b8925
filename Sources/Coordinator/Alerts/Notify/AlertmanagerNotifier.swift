import AsyncHTTPClient
import FleetInventory
import Foundation
import Logging
import NIOCore

/// Forwards a notification's alerts to an existing Alertmanager: `POST <url>/api/v2/alerts`
/// with a JSON array of `PostableAlert` (`labels`, `annotations`, `startsAt`, `endsAt`,
/// `generatorURL`). That Alertmanager then groups, routes and silences them itself.
///
/// **Firing alerts and `resolve_timeout`.** Alertmanager resolves an alert by itself when its
/// `endsAt` passes; an alert posted without `endsAt` gets `now + resolve_timeout` (5 min by
/// default). Prometheus avoids that by re-posting every minute; our dispatcher only re-sends on
/// the route's group/repeat interval (4 h by default). So a firing alert is sent with an
/// explicit `endsAt = now + activeHorizon` (default 8 h, twice the default repeat interval):
/// every re-send pushes it forward, a resolved send (which carries the real `endsAt`) clears it
/// at once, and if the coordinator disappears the remote alert still expires eventually
/// instead of staying active forever. Choose a horizon longer than the route's
/// `repeat_interval`. Failure classification is `HTTPDelivery`'s (5xx/429/network retryable).
///
/// ```swift
/// let notifier = AlertmanagerNotifier(config: AlertmanagerReceiverConfig(url: "http://127.0.0.1:9093"),
///                                     httpClient: .shared, logger: logger)
/// try await notifier.send(notification)
/// ```
public struct AlertmanagerNotifier: Notifier {
    /// One element of Alertmanager's `PostableAlerts`.
    public struct PostableAlert: Codable, Sendable, Equatable {
        public var labels: [String: String]
        public var annotations: [String: String]
        public var startsAt: String
        public var endsAt: String
        /// Omitted when empty: Alertmanager validates it as a URI.
        public var generatorURL: String?
    }

    public static let defaultActiveHorizon: Duration = .seconds(2 * AlertRoute.defaultRepeatIntervalSeconds)

    public let config: AlertmanagerReceiverConfig
    let httpClient: HTTPClient
    let logger: Logger
    let activeHorizon: Duration
    let timeout: TimeAmount

    public init(config: AlertmanagerReceiverConfig, httpClient: HTTPClient, logger: Logger,
                activeHorizon: Duration = Self.defaultActiveHorizon, timeout: TimeAmount = .seconds(10)) {
        self.config = config
        self.httpClient = httpClient
        self.logger = logger
        self.activeHorizon = activeHorizon
        self.timeout = timeout
    }

    /// `<url>/api/v2/alerts`, tolerating a trailing slash on the base URL.
    public var endpoint: String {
        var base = config.url
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/v2/alerts"
    }

    public func send(_ notification: AlertNotification) async throws(NotifyError) {
        let body = try Self.body(for: notification, now: Date(), activeHorizon: activeHorizon)
        try await HTTPDelivery.post(body, to: endpoint, headers: ["Idempotency-Key": notification.id],
                                    client: httpClient, timeout: timeout)
        logger.debug("alerts forwarded to Alertmanager", metadata: [
            "receiver": "\(notification.receiver)", "notification": "\(notification.id)",
            "url": "\(RedactedURL(endpoint))", "alerts": "\(notification.alerts.count)",
        ])
    }

    /// The JSON array that is posted.
    public static func body(for notification: AlertNotification, now: Date, activeHorizon: Duration) throws(NotifyError) -> Data {
        let horizon = Double(activeHorizon.components.seconds)
        let alerts = notification.alerts.map { alert in
            PostableAlert(labels: alert.labels, annotations: alert.annotations,
                          startsAt: WebhookPayload.rfc3339(alert.startsAt),
                          endsAt: WebhookPayload.rfc3339(alert.endsAt ?? now.addingTimeInterval(horizon)),
                          generatorURL: alert.generatorURL.isEmpty ? nil : alert.generatorURL)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(alerts)
        } catch {
            throw .permanent("cannot encode the Alertmanager alerts: \(error)")
        }
    }
}
