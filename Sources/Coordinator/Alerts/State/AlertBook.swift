import FleetProtocol
import Foundation

/// The alerts the rules raised, by fingerprint: firing ones, and resolved ones kept for a
/// while so that `get alerts --state resolved` and the resolution notice can show them.
/// The single owner of alert lifecycle: new → firing → resolved (→ firing again as a new
/// instance, acknowledgement cleared).
///
/// ```swift
/// var book = AlertBook()
/// let change = book.update(firing: rules.evaluate(facts, now: now).alerts, now: now)
/// change.started    // alerts that began firing now (persist them)
/// change.resolved   // alerts that stopped firing now (persist and notify)
/// ```
struct AlertBook {
    struct Change: Equatable {
        var started: [AlertRecord] = []
        var resolved: [AlertRecord] = []
        var isEmpty: Bool { started.isEmpty && resolved.isEmpty }
    }

    private(set) var records: [String: AlertRecord] = [:]

    mutating func restore(_ stored: [AlertRecord]) {
        records = Dictionary(stored.map { ($0.alert.fingerprint, $0) }, uniquingKeysWith: { _, last in last })
    }

    var firing: [AlertRecord] { records.values.filter { $0.alert.isFiring } }

    /// Takes the complete set of alerts whose condition holds now. Summaries of firing alerts
    /// are refreshed (they carry the measured value); those are not reported as changes.
    mutating func update(firing current: [Alert], now: Date) -> Change {
        var change = Change()
        var seen = Set<String>()
        for alert in current {
            seen.insert(alert.fingerprint)
            if var record = records[alert.fingerprint], record.alert.isFiring {
                record.alert.annotations = alert.annotations
                records[alert.fingerprint] = record
            } else {
                var started = alert
                started.startsAt = now
                started.endsAt = nil
                let record = AlertRecord(alert: started)
                records[alert.fingerprint] = record
                change.started.append(record)
            }
        }
        for (fingerprint, var record) in records where record.alert.isFiring && !seen.contains(fingerprint) {
            record.alert.endsAt = now
            record.acknowledgement = nil
            records[fingerprint] = record
            change.resolved.append(record)
        }
        return change
    }

    /// The record whose fingerprint is `id` or starts with it (at least 4 characters, unique).
    func find(_ id: String) -> Result<AlertRecord, AlertingError> {
        if let exact = records[id] { return .success(exact) }
        guard id.count >= 4 else { return .failure(.alertNotFound(id)) }
        let matches = records.values.filter { $0.alert.fingerprint.hasPrefix(id) }
        switch matches.count {
        case 0: return .failure(.alertNotFound(id))
        case 1: return .success(matches[0])
        default: return .failure(.ambiguousAlert(id, matches.count))
        }
    }

    /// Acknowledges a firing alert; returns the updated record to persist.
    mutating func acknowledge(_ id: String, _ acknowledgement: Acknowledgement) -> Result<AlertRecord, AlertingError> {
        switch find(id) {
        case .failure(let error):
            return .failure(error)
        case .success(var record):
            guard record.alert.isFiring else { return .failure(.alertNotFiring(record.alert.fingerprint)) }
            record.acknowledgement = acknowledgement
            records[record.alert.fingerprint] = record
            return .success(record)
        }
    }

    /// Forgets resolved alerts that ended before `cutoff`.
    mutating func pruneResolved(before cutoff: Date) {
        records = records.filter { $0.value.alert.endsAt.map { $0 >= cutoff } ?? true }
    }
}

/// Why an alerting request was refused; each maps to one HTTP status and one line.
public enum AlertingError: Error, Equatable, CustomStringConvertible {
    case alertNotFound(String)
    case ambiguousAlert(String, Int)
    case alertNotFiring(String)
    case badMatcher(String)
    case badSilence(String)
    case silenceNotFound(String)
    case storeFailed(String)

    public var description: String {
        switch self {
        case .alertNotFound(let id): "no alert with ID '\(id)' (see 'fleetctl get alerts')"
        case .ambiguousAlert(let id, let count): "'\(id)' matches \(count) alerts: give more of the ID"
        case .alertNotFiring(let id): "alert \(id) is resolved: only firing alerts can be acknowledged"
        case .badMatcher(let detail): detail
        case .badSilence(let detail): detail
        case .silenceNotFound(let id): "no silence with ID '\(id)' (see 'fleetctl silence list')"
        case .storeFailed(let detail): "cannot store the change: \(detail)"
        }
    }
}
