import FleetProtocol
import AsyncHTTPClient
import Crypto
import FleetInventory
import Foundation
import Logging
import NIOCore

/// Delivers a notification as an HTTP POST of `WebhookPayload` (Alertmanager's webhook
/// format, version "4").
///
/// Headers: `Content-Type: application/json`, `Idempotency-Key: <notification.id>` (the same
/// on every retry, so a receiver can drop duplicates), and, when `secretFile` is set,
/// `X-StationFleet-Signature: sha256=<hex HMAC-SHA256 of the exact body>` keyed with the
/// file's content (read at send time, one trailing newline removed).
/// 5xx, 429, connection errors and timeouts are `.retryable`; other 4xx are `.permanent`.
///
/// ```swift
/// let notifier = WebhookNotifier(config: WebhookReceiverConfig(url: "https://ops.example/hook", secretFile: "/etc/sf/hook.key"),
///                                httpClient: .shared, logger: logger)
/// try await notifier.send(notification)
/// ```
public struct WebhookNotifier: Notifier {
    public static let signatureHeader = "X-StationFleet-Signature"
    public static let idempotencyHeader = "Idempotency-Key"

    public let config: WebhookReceiverConfig
    let httpClient: HTTPClient
    let logger: Logger
    let timeout: TimeAmount

    public init(config: WebhookReceiverConfig, httpClient: HTTPClient, logger: Logger,
                timeout: TimeAmount = .seconds(10)) {
        self.config = config
        self.httpClient = httpClient
        self.logger = logger
        self.timeout = timeout
    }

    public func send(_ notification: AlertNotification) async throws(NotifyError) {
        let body = try WebhookPayload(notification, maxAlerts: config.maxAlerts).encoded()
        var headers = [Self.idempotencyHeader: notification.id]
        if let secretFile = config.secretFile {
            let secret = try CredentialFile.read(secretFile, purpose: "webhook secret")
            headers[Self.signatureHeader] = Self.signature(of: body, secret: secret)
        }
        try await HTTPDelivery.post(body, to: config.url, headers: headers, client: httpClient, timeout: timeout)
        logger.debug("webhook notification sent", metadata: [
            "receiver": "\(notification.receiver)", "notification": "\(notification.id)",
            "url": "\(RedactedURL(config.url))", "alerts": "\(notification.alerts.count)",
        ])
    }

    /// `sha256=` and the lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
    public static func signature(of body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.lowercaseHex
    }
}
