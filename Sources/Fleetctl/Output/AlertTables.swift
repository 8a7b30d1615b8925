import FleetProtocol
import Foundation

/// The tables of `get alerts`, `get notifications` and `silence list`, and the alerts
/// section of `describe node|station`.
public enum AlertTables {
    /// How many characters of an alert's fingerprint (or a notification's key) the tables show;
    /// `fleetctl alerts ack` takes such a prefix.
    public static let shortIDLength = 8
    /// Longest LAST-ERROR shown in `get notifications`.
    public static let errorWidth = 60

    /// `ID ALERTNAME SEVERITY STATE SITE NODE TARGET AGE SUMMARY`. STATE gets ` (acked)` when
    /// acknowledged; TARGET is the `station`, `job`, `unit` or `path` label; AGE is since `startsAt`.
    public static func alerts(_ alerts: [AlertView], now: Date) -> String {
        var table = TextTable(header: ["ID", "ALERTNAME", "SEVERITY", "STATE", "SITE", "NODE", "TARGET", "AGE", "SUMMARY"])
        for alert in alerts {
            table.rows.append([
                shortID(alert.id), alert.alertname, alert.severity, state(alert),
                alert.labels["site"] ?? "-", alert.labels["node"] ?? "-", target(alert),
                Formatting.age(now.timeIntervalSince(alert.startsAt)), alert.summary.firstLine,
            ])
        }
        return table.render()
    }

    /// `ID RECEIVER STATUS ALERTS STATE ATTEMPTS AGE LAST-ERROR`; AGE is since `createdAt`,
    /// LAST-ERROR is cut to ``errorWidth`` characters.
    public static func notifications(_ notifications: [NotificationView], now: Date) -> String {
        var table = TextTable(header: ["ID", "RECEIVER", "STATUS", "ALERTS", "STATE", "ATTEMPTS", "AGE", "LAST-ERROR"])
        for notification in notifications {
            table.rows.append([
                shortID(notification.id), notification.receiver, notification.status, String(notification.alerts),
                notification.state.rawValue, String(notification.attempts),
                Formatting.age(now.timeIntervalSince(notification.createdAt)),
                notification.lastError.map { cut($0.firstLine, errorWidth) } ?? "-",
            ])
        }
        return table.render()
    }

    /// `ID MATCHERS STARTS ENDS REMAINING BY COMMENT`; REMAINING is `expired` (and by whom)
    /// once the silence has ended.
    public static func silences(_ silences: [SilenceView], now: Date) -> String {
        var table = TextTable(header: ["ID", "MATCHERS", "STARTS", "ENDS", "REMAINING", "BY", "COMMENT"])
        for silence in silences {
            table.rows.append([
                silence.id, silence.matchers.joined(separator: ","), Formatting.time(silence.startsAt),
                Formatting.time(silence.endsAt), remaining(silence, now: now), silence.createdBy,
                cut(silence.comment.firstLine, errorWidth),
            ])
        }
        return table.render()
    }

    /// The `Alerts:` section of `describe node|station`: `ID ALERTNAME SEVERITY STATE AGE SUMMARY`.
    public static func section(_ alerts: [AlertView], now: Date) -> String {
        var out = "Alerts:\n"
        guard !alerts.isEmpty else { return out + "  (none)\n" }
        var table = TextTable(header: ["ID", "ALERTNAME", "SEVERITY", "STATE", "AGE", "SUMMARY"])
        for alert in alerts {
            table.rows.append([shortID(alert.id), alert.alertname, alert.severity, state(alert),
                               Formatting.age(now.timeIntervalSince(alert.startsAt)), alert.summary.firstLine])
        }
        out += table.render(indent: "  ")
        return out
    }

    /// The line `alerts ack` prints: `Acknowledged ID ALERTNAME (summary)`.
    public static func acknowledged(_ alert: AlertView) -> String {
        "Acknowledged \(shortID(alert.id)) \(alert.alertname) (\(alert.summary.firstLine))"
    }

    static func shortID(_ id: String) -> String { String(id.prefix(shortIDLength)) }

    static func state(_ alert: AlertView) -> String {
        alert.acknowledged == nil ? alert.state.rawValue : "\(alert.state.rawValue) (acked)"
    }

    static func target(_ alert: AlertView) -> String {
        alert.labels["station"] ?? alert.labels["job"] ?? alert.labels["unit"] ?? alert.labels["path"] ?? "-"
    }

    static func remaining(_ silence: SilenceView, now: Date) -> String {
        if silence.state == .expired || silence.endsAt <= now {
            return silence.expiredBy.map { "expired (by \($0))" } ?? "expired"
        }
        return Formatting.duration(silence.endsAt.timeIntervalSince(now))
    }

    static func cut(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }
}
