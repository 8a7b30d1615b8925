import FleetInventory
import Foundation
import Logging

/// Delivers a notification by email over SMTP (libcurl): `smtp://HOST:PORT` with STARTTLS
/// when offered (required when `requireTLS`), or `smtps://HOST:PORT` (implicit TLS).
/// `caFile` replaces the system CAs; user name and password are read from their files at
/// send time (one trailing newline removed) and never logged or put in an error.
/// The message is `EmailMessage`: Alertmanager-style subject, a Message-ID derived from the
/// idempotency key, text and HTML parts.
///
/// ```swift
/// let config = EmailReceiverConfig(to: ["ops@example.org"], smtp: "smtp://mail.example.org:587",
///                                  usernameFile: "/etc/sf/smtp-user", passwordFile: "/etc/sf/smtp-pass", requireTLS: true)
/// try await EmailNotifier(config: config, logger: logger).send(notification)
/// ```
public struct EmailNotifier: Notifier {
    public let config: EmailReceiverConfig
    let logger: Logger

    public init(config: EmailReceiverConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// The sender: the configured `from`, or `stationfleet@<hostname>`.
    public var sender: String {
        if let from = config.from, !from.isEmpty { return from }
        return "stationfleet@" + Self.hostname
    }

    /// `gethostname(2)` once (no DNS lookup, unlike `ProcessInfo.hostName`).
    static let hostname: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }()

    public func send(_ notification: AlertNotification) async throws(NotifyError) {
        let scheme = config.smtp.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        guard scheme == "smtp" || scheme == "smtps" else {
            throw .permanent("invalid SMTP URL \(RedactedURL(config.smtp)): expected smtp://HOST:PORT or smtps://HOST:PORT")
        }
        guard !config.to.isEmpty else { throw .permanent("email receiver \(notification.receiver) has no recipients") }
        let username = try config.usernameFile.map { path throws(NotifyError) in
            try CredentialFile.read(path, purpose: "SMTP user name")
        }
        let password = try config.passwordFile.map { path throws(NotifyError) in
            try CredentialFile.read(path, purpose: "SMTP password")
        }
        let message = EmailMessage(notification, from: sender, to: config.to)
        let transfer = SMTPTransfer(url: config.smtp, from: EmailMessage.envelopeAddress(sender),
                                    recipients: message.to.map(EmailMessage.envelopeAddress),
                                    message: message.rendered(date: Date()), tls: config.requireTLS ? .required : .opportunistic,
                                    caFile: config.caFile, username: username, password: password)
        try await transfer.run()
        logger.debug("email notification sent", metadata: [
            "receiver": "\(notification.receiver)", "notification": "\(notification.id)",
            "smtp": "\(RedactedURL(config.smtp))", "recipients": "\(config.to.count)",
        ])
    }
}
