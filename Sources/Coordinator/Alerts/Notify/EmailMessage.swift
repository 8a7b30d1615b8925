import Foundation

/// The RFC 5322 message an `EmailNotifier` sends for one notification: headers (From, To,
/// Subject in Alertmanager's default form, Date, a Message-ID derived from the idempotency key,
/// `X-StationFleet-Idempotency-Key`) and a multipart/alternative body with a text/plain and a
/// text/html part (UTF-8, base64). Label values used in headers have CR/LF removed.
///
/// ```swift
/// let message = EmailMessage(notification, from: "alerts@example.org", to: ["ops@example.org"])
/// message.subject      // "[FIRING:2] SegmentStale auklab (recordingpi critical)"
/// let bytes = message.rendered(date: Date())
/// ```
public struct EmailMessage: Sendable {
    public let notification: AlertNotification
    public let from: String
    public let to: [String]

    public init(_ notification: AlertNotification, from: String, to: [String]) {
        self.notification = notification
        self.from = Self.headerSafe(from)
        self.to = to.map(Self.headerSafe)
    }

    /// Alertmanager's `__subject`: `[STATUS(:N firing)] <group label values> (<other common label values>)`,
    /// values ordered by label name.
    public var subject: String {
        let note = notification
        var status = note.status.rawValue.uppercased()
        if note.status == .firing { status += ":\(note.firing.count)" }
        let groupValues = note.groupLabels.sorted { $0.key < $1.key }.map(\.value)
        var subject = "[\(status)] " + groupValues.joined(separator: " ")
        let extra = note.commonLabels.filter { note.groupLabels[$0.key] == nil }.sorted { $0.key < $1.key }
        if !extra.isEmpty { subject += " (" + extra.map(\.value).joined(separator: " ") + ")" }
        return Self.headerSafe(subject.trimmingCharacters(in: .whitespaces))
    }

    /// `<ID@stationfleet>`: the same on every retry, so a duplicate is recognisable.
    public var messageID: String { "<\(Self.headerSafe(notification.id))@stationfleet>" }

    /// The text/plain body: every alert, firing first then resolved.
    public var textBody: String {
        var lines = [subject, ""]
        for (title, alerts) in [("Firing", notification.firing), ("Resolved", notification.resolved)] where !alerts.isEmpty {
            lines.append("\(title) (\(alerts.count)):")
            for alert in alerts {
                lines.append("")
                lines.append("* " + (alert.summary.isEmpty ? alert.name : alert.summary))
                lines.append("  Labels:")
                for (name, value) in alert.labels.sorted(by: { $0.key < $1.key }) { lines.append("    \(name) = \(value)") }
                let other = alert.annotations.filter { $0.key != "summary" }.sorted { $0.key < $1.key }
                if !other.isEmpty {
                    lines.append("  Annotations:")
                    for (name, value) in other { lines.append("    \(name) = \(value)") }
                }
                lines.append("  Started: " + WebhookPayload.rfc3339(alert.startsAt))
                if let endsAt = alert.endsAt { lines.append("  Ended: " + WebhookPayload.rfc3339(endsAt)) }
                if !alert.generatorURL.isEmpty { lines.append("  Source: " + alert.generatorURL) }
            }
            lines.append("")
        }
        if !notification.externalURL.isEmpty { lines.append("Coordinator: " + notification.externalURL) }
        lines.append("AlertNotification: " + notification.id)
        return lines.joined(separator: "\n") + "\n"
    }

    /// A simple HTML rendering of the same content.
    public var htmlBody: String {
        var html = "<!DOCTYPE html>\n<html><body>\n<h2>\(Self.escape(subject))</h2>\n"
        for (title, alerts) in [("Firing", notification.firing), ("Resolved", notification.resolved)] where !alerts.isEmpty {
            html += "<h3>\(title) (\(alerts.count))</h3>\n<ul>\n"
            for alert in alerts {
                let labels = alert.labels.sorted { $0.key < $1.key }.map { "\(Self.escape($0.key))=\(Self.escape($0.value))" }
                var item = "<li><b>\(Self.escape(alert.summary.isEmpty ? alert.name : alert.summary))</b><br>"
                item += labels.joined(separator: ", ") + "<br>started " + WebhookPayload.rfc3339(alert.startsAt)
                if let endsAt = alert.endsAt { item += ", ended " + WebhookPayload.rfc3339(endsAt) }
                html += item + "</li>\n"
            }
            html += "</ul>\n"
        }
        return html + "<p><small>AlertNotification \(Self.escape(notification.id))</small></p>\n</body></html>\n"
    }

    /// The complete message with CRLF line endings, ready for SMTP DATA.
    public func rendered(date: Date) -> Data {
        let boundary = "=_stationfleet_" + Self.headerSafe(notification.id)
        var headers = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322(date))",
            "Message-ID: \(messageID)",
            "X-StationFleet-Idempotency-Key: \(Self.headerSafe(notification.id))",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        headers.append("")
        var parts = headers
        for (type, body) in [("text/plain", textBody), ("text/html", htmlBody)] {
            parts.append("--\(boundary)")
            parts.append("Content-Type: \(type); charset=utf-8")
            parts.append("Content-Transfer-Encoding: base64")
            parts.append("")
            parts.append(contentsOf: Self.base64Lines(Data(body.utf8)))
        }
        parts.append("--\(boundary)--")
        parts.append("")
        return Data(parts.joined(separator: "\r\n").utf8)
    }

    /// The bare address for the SMTP envelope: `ops@example.org` from `Ops <ops@example.org>`.
    public static func envelopeAddress(_ address: String) -> String {
        let clean = headerSafe(address)
        if let open = clean.lastIndex(of: "<"), let close = clean.lastIndex(of: ">"), open < close {
            return String(clean[clean.index(after: open)..<close])
        }
        return clean.trimmingCharacters(in: .whitespaces)
    }

    /// Removes CR, LF and other control characters (header injection).
    public static func headerSafe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }))
    }

    /// RFC 2047 `=?UTF-8?B?…?=` when the text is not plain ASCII.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII }) else { return text }
        return "=?UTF-8?B?" + Data(text.utf8).base64EncodedString() + "?="
    }

    static func base64Lines(_ data: Data) -> [String] {
        data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
            .components(separatedBy: "\r\n")
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
