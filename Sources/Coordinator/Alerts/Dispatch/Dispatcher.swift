import FleetInventory
import Foundation

/// Alertmanager's dispatch, as a value: alerts are sorted into aggregation groups by the
/// route tree (one group per receiver, route and `groupBy` values); a group is first
/// flushed `groupWait` after it formed, then looked at every `groupInterval`, and a
/// notification is made when its firing set grew, a notified alert resolved, or
/// `repeatInterval` passed with unacknowledged alerts still firing. A notification due while
/// the group's route is muted by its time intervals is dropped for that flush without being
/// recorded, so the alerts notify at the first flush after the mute ends.
///
/// ```swift
/// var dispatcher = Dispatcher(route: alerts.route, externalURL: "http://nas:8443", timeIntervals: alerts.timeIntervals)
/// let step = dispatcher.step(visible: visibleAlerts, acknowledged: ackedIDs, now: now)
/// step.notifications    // new outbox entries, stored with step.upserts in one transaction
/// ```
struct Dispatcher {
    struct Step: Equatable {
        var notifications: [AlertNotification] = []
        var upserts: [GroupRecord] = []
        var deletions: [String] = []
    }

    var route: AlertRoute?
    var externalURL: String
    /// `alerts.timeIntervals`, for the routes' `muteTimeIntervals` and `activeTimeIntervals`.
    var timeIntervals: [String: AlertTimeInterval]
    private(set) var groups: [String: GroupRecord] = [:]

    init(route: AlertRoute?, externalURL: String, timeIntervals: [String: AlertTimeInterval] = [:]) {
        self.route = route
        self.externalURL = externalURL
        self.timeIntervals = timeIntervals
    }

    mutating func restore(_ stored: [GroupRecord]) {
        groups = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Alerts some group last notified as firing: their resolution is still to be sent.
    var awaitingResolution: Set<String> {
        groups.values.reduce(into: Set<String>()) { $0.formUnion($1.notifiedFiring) }
    }

    /// The receivers an alert with `labels` goes to, in route order.
    func receivers(for labels: [String: String]) -> [String] {
        route?.matchingRoutes(for: labels).map(\.options.receiver) ?? []
    }

    /// One dispatch step. `visible` are the alerts not muted by a silence or inhibition:
    /// firing ones, and resolved ones (which only join a group that notified them as firing).
    mutating func step(visible: [Alert], acknowledged: Set<String>, now: Date) -> Step {
        var result = Step()
        guard let route else { return result }
        let byFingerprint = Dictionary(visible.map { ($0.fingerprint, $0) }, uniquingKeysWith: { first, _ in first })
        var members: [String: Set<String>] = [:]
        for alert in visible {
            for matched in route.matchingRoutes(for: alert.labels) where !matched.options.receiver.isEmpty {
                let groupLabels = matched.options.groupLabels(of: alert.labels)
                let key = Self.groupKey(route: matched.key, labels: groupLabels)
                let id = GroupRecord.id(receiver: matched.options.receiver, groupKey: key)
                if groups[id] == nil {
                    guard alert.isFiring else { continue }
                    let created = GroupRecord(groupKey: key, groupLabels: groupLabels, options: matched.options, createdAt: now)
                    groups[id] = created
                    result.upserts.append(created)
                }
                // The route's settings as now applied: a new revision's intervals take effect on
                // existing groups at their next flush.
                if groups[id]?.options != matched.options { groups[id]?.options = matched.options }
                if !alert.isFiring && !(groups[id]?.notifiedFiring.contains(alert.fingerprint) ?? false) { continue }
                members[id, default: []].insert(alert.fingerprint)
            }
        }
        for id in groups.keys.sorted() {
            guard var group = groups[id] else { continue }
            group.members = members[id] ?? []
            guard now >= group.nextFlushAt else {
                groups[id] = group
                continue
            }
            let alerts = group.members.compactMap { byFingerprint[$0] }
            let firing = Set(alerts.filter(\.isFiring).map(\.fingerprint))
            let resolved = Set(alerts.filter { !$0.isFiring }.map(\.fingerprint))
            let due = Self.needsNotification(group, firing: firing, resolved: resolved, acknowledged: acknowledged, now: now)
            let muted = due && group.options.isMuted(at: now, intervals: timeIntervals)
            if due && !muted {
                group.sequence += 1
                group.lastNotifiedAt = now
                group.notifiedFiring = firing
                group.notifiedResolved = resolved
                let ordered = alerts.sorted { ($0.isFiring ? 0 : 1, $0.startsAt, $0.fingerprint) < ($1.isFiring ? 0 : 1, $1.startsAt, $1.fingerprint) }
                result.notifications.append(AlertNotification(receiver: group.options.receiver, groupKey: group.groupKey,
                                                         sequence: group.sequence, alerts: ordered,
                                                         groupLabels: group.groupLabels, externalURL: externalURL,
                                                         createdAt: now))
            }
            // Resolved alerts leave the group once looked at, unless muted (their resolution is still to
            // be sent); an empty group ends.
            if !muted {
                group.members.subtract(resolved)
                group.notifiedFiring.subtract(resolved)
            }
            group.nextFlushAt = now.addingTimeInterval(TimeInterval(group.options.groupIntervalSeconds))
            if firing.isEmpty && group.members.isEmpty {
                groups[id] = nil
                result.deletions.append(id)
                result.upserts.removeAll { $0.id == id }
            } else {
                groups[id] = group
                result.upserts.removeAll { $0.id == id }
                result.upserts.append(group)
            }
        }
        return result
    }

    /// Alertmanager's dedup rule, with acknowledgement: repeats only for unacknowledged alerts.
    static func needsNotification(_ group: GroupRecord, firing: Set<String>, resolved: Set<String>,
                                  acknowledged: Set<String>, now: Date) -> Bool {
        if !firing.isSubset(of: group.notifiedFiring) { return true }
        if !resolved.intersection(group.notifiedFiring).isEmpty { return true }
        guard let last = group.lastNotifiedAt else { return !firing.isEmpty }
        let unacknowledged = firing.subtracting(acknowledged)
        return !unacknowledged.isEmpty && now.timeIntervalSince(last) >= TimeInterval(group.options.repeatIntervalSeconds)
    }

    /// `ROUTEKEY:{a="x", b="y"}`, labels sorted, as Alertmanager's group key.
    static func groupKey(route: String, labels: [String: String]) -> String {
        let pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        return "\(route):{\(pairs.joined(separator: ", "))}"
    }
}
