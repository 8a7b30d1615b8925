import AsyncHTTPClient
import FleetInventory
import Foundation
import Logging

/// The coordinator's notifiers: builds one per receiver from its configuration and owns
/// what they share (one HTTP client for webhooks and Alertmanager forwarding).
final class NotifierSet: Sendable {
    let logger: Logger
    let httpClient: HTTPClient

    init(logger: Logger) {
        self.logger = logger
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.clientConfiguration)
    }

    /// The outbox retries with its own back-off per receiver, so a refused connection fails
    /// the attempt at once instead of being retried inside the client until its deadline.
    static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return configuration
    }

    @Sendable func make(_ receiver: AlertReceiver) -> any Notifier {
        NotifierFactory.make(for: receiver, httpClient: httpClient, logger: logger)
    }

    func shutdown() async {
        try? await httpClient.shutdown()
    }
}

/// A notifier that refuses every message (permanently): used where no delivery may happen.
public struct UndeliverableNotifier: Notifier {
    public init() {}
    public func send(_ notification: AlertNotification) async throws(NotifyError) {
        throw .permanent("delivery is not available here")
    }
}
