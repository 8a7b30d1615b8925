import Crypto
import Foundation

/// One alert instance as the rules raised it: its labels identify it (the fingerprint is
/// their hash), its annotations carry the human summary. Field names follow Alertmanager's.
///
/// ```swift
/// let alert = Alert(labels: ["alertname": "NodeOffline", "node": "pi1", "site": "auklab", "severity": "critical"],
///                   annotations: ["summary": "pi1: no heartbeat for 75s (threshold 60s)"], startsAt: now)
/// alert.isFiring   // true until endsAt is set
/// ```
public struct Alert: Codable, Sendable, Equatable, Hashable {
    public var fingerprint: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var startsAt: Date
    /// Nil while firing; the time the condition cleared once resolved.
    public var endsAt: Date?
    /// A link back to the coordinator (Alertmanager's `generatorURL`); may be empty.
    public var generatorURL: String

    public init(labels: [String: String], annotations: [String: String], startsAt: Date, endsAt: Date? = nil,
                generatorURL: String = "") {
        self.fingerprint = Self.fingerprint(of: labels)
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    public var isFiring: Bool { endsAt == nil }
    public var name: String { labels["alertname"] ?? "" }
    public var summary: String { annotations["summary"] ?? "" }

    /// 16 hex digits of SHA-256 over the sorted `name\u{FF}value\u{FF}` pairs (stable across restarts).
    public static func fingerprint(of labels: [String: String]) -> String {
        var text = ""
        for (name, value) in labels.sorted(by: { $0.key < $1.key }) {
            text += name + "\u{FF}" + value + "\u{FF}"
        }
        return hex(SHA256.hash(data: Data(text.utf8)).prefix(8))
    }

    /// Lower-case hex without `String(format:)`, which cost more than the hash itself.
    private static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Firing or resolved, for an alert and for a notification (a group is firing while any of
/// its alerts fires).
public enum AlertStatus: String, Codable, Sendable {
    case firing
    case resolved
}
