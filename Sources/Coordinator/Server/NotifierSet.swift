import FleetInventory
import Foundation
import Logging

/// The coordinator's notifiers: builds one per receiver from its configuration and owns
/// what they share (the HTTP client).
final class NotifierSet: Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    @Sendable func make(_ receiver: AlertReceiver) -> any Notifier {
        UndeliverableNotifier()
    }

    func shutdown() {}
}

/// A notifier that refuses every message (permanently): used where no delivery may happen.
public struct UndeliverableNotifier: Notifier {
    public init() {}
    public func send(_ notification: Notification) async throws(NotifyError) {
        throw .permanent("delivery is not available here")
    }
}
