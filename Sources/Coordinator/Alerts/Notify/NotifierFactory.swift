import AsyncHTTPClient
import FleetInventory
import Logging

/// Builds the `Notifier` for a configured receiver. The HTTP notifiers share one
/// `HTTPClient` (owned and shut down by the caller); the email notifier uses libcurl.
///
/// ```swift
/// let notifiers = config.receivers.mapValues { NotifierFactory.make(for: $0, httpClient: client, logger: logger) }
/// try await notifiers["ops"]?.send(notification)
/// ```
public enum NotifierFactory {
    public static func make(for receiver: AlertReceiver, httpClient: HTTPClient, logger: Logger) -> any Notifier {
        var logger = logger
        logger[metadataKey: "receiver"] = "\(receiver.name)"
        switch receiver.channel {
        case .email(let config):
            return EmailNotifier(config: config, logger: logger)
        case .webhook(let config):
            return WebhookNotifier(config: config, httpClient: httpClient, logger: logger)
        case .alertmanager(let config):
            return AlertmanagerNotifier(config: config, httpClient: httpClient, logger: logger)
        }
    }
}
