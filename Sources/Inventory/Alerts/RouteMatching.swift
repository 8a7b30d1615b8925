import Foundation

/// The settings an alert gets from the route that matched it, with inheritance applied.
public struct RouteOptions: Codable, Sendable, Equatable, Hashable {
    public var receiver: String
    /// Label names to group by; empty with `groupByAll` false means one group per route.
    public var groupBy: [String]
    /// `groupBy: ['...']`: every label groups (each distinct label set is its own group).
    public var groupByAll: Bool
    public var groupWaitSeconds: Int
    public var groupIntervalSeconds: Int
    public var repeatIntervalSeconds: Int
    /// The route's own `muteTimeIntervals` (names in `AlertsConfig.timeIntervals`; not inherited).
    public var muteTimeIntervals: [String]
    /// The route's own `activeTimeIntervals` (names in `AlertsConfig.timeIntervals`; not inherited).
    public var activeTimeIntervals: [String]

    public init(receiver: String, groupBy: [String], groupByAll: Bool, groupWaitSeconds: Int,
                groupIntervalSeconds: Int, repeatIntervalSeconds: Int,
                muteTimeIntervals: [String] = [], activeTimeIntervals: [String] = []) {
        self.receiver = receiver
        self.groupBy = groupBy
        self.groupByAll = groupByAll
        self.groupWaitSeconds = groupWaitSeconds
        self.groupIntervalSeconds = groupIntervalSeconds
        self.repeatIntervalSeconds = repeatIntervalSeconds
        self.muteTimeIntervals = muteTimeIntervals
        self.activeTimeIntervals = activeTimeIntervals
    }

    /// Decodes options stored (with aggregation groups) before the time interval fields existed.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        receiver = try container.decode(String.self, forKey: .receiver)
        groupBy = try container.decode([String].self, forKey: .groupBy)
        groupByAll = try container.decode(Bool.self, forKey: .groupByAll)
        groupWaitSeconds = try container.decode(Int.self, forKey: .groupWaitSeconds)
        groupIntervalSeconds = try container.decode(Int.self, forKey: .groupIntervalSeconds)
        repeatIntervalSeconds = try container.decode(Int.self, forKey: .repeatIntervalSeconds)
        muteTimeIntervals = try container.decodeIfPresent([String].self, forKey: .muteTimeIntervals) ?? []
        activeTimeIntervals = try container.decodeIfPresent([String].self, forKey: .activeTimeIntervals) ?? []
    }

    /// The labels of `labels` that define the alert's group under this route.
    public func groupLabels(of labels: [String: String]) -> [String: String] {
        if groupByAll { return labels }
        var result: [String: String] = [:]
        for name in groupBy { if let value = labels[name] { result[name] = value } }
        return result
    }
}

/// A route that an alert reached: its stable key (the path of matchers from the root, as
/// Alertmanager's route key) and its effective options.
public struct MatchedRoute: Codable, Sendable, Equatable, Hashable {
    public var key: String
    public var options: RouteOptions
}

extension AlertRoute {
    /// The marker in `groupBy` that means "all labels".
    public static let groupByAllMarker = "..."

    /// The routes an alert with `labels` reaches, in order: depth-first, left to right,
    /// stopping after the first matching child unless it has `continue`; the route itself
    /// when none of its children match. Call on the root (which matches everything).
    public func matchingRoutes(for labels: [String: String]) -> [MatchedRoute] {
        matching(labels, parent: nil, parentKey: nil, index: 0)
    }

    private func matching(_ labels: [String: String], parent: RouteOptions?, parentKey: String?, index: Int) -> [MatchedRoute] {
        guard matchers.allMatch(labels) else { return [] }
        let options = effectiveOptions(parent: parent)
        let key = routeKey(parentKey: parentKey, index: index)
        var result: [MatchedRoute] = []
        for (childIndex, child) in routes.enumerated() {
            let matched = child.matching(labels, parent: options, parentKey: key, index: childIndex)
            guard !matched.isEmpty else { continue }
            result.append(contentsOf: matched)
            if !child.continueMatching { break }
        }
        if result.isEmpty { result = [MatchedRoute(key: key, options: options)] }
        return result
    }

    /// This route's options with unset fields inherited from `parent` (or the defaults at the root).
    public func effectiveOptions(parent: RouteOptions?) -> RouteOptions {
        let groupBy: [String]
        let groupByAll: Bool
        if let own = self.groupBy {
            groupByAll = own.contains(Self.groupByAllMarker)
            groupBy = groupByAll ? [] : own
        } else {
            groupBy = parent?.groupBy ?? []
            groupByAll = parent?.groupByAll ?? false
        }
        return RouteOptions(
            receiver: receiver ?? parent?.receiver ?? "",
            groupBy: groupBy, groupByAll: groupByAll,
            groupWaitSeconds: groupWaitSeconds ?? parent?.groupWaitSeconds ?? Self.defaultGroupWaitSeconds,
            groupIntervalSeconds: groupIntervalSeconds ?? parent?.groupIntervalSeconds ?? Self.defaultGroupIntervalSeconds,
            repeatIntervalSeconds: repeatIntervalSeconds ?? parent?.repeatIntervalSeconds ?? Self.defaultRepeatIntervalSeconds,
            muteTimeIntervals: muteTimeIntervals, activeTimeIntervals: activeTimeIntervals)
    }

    /// Alertmanager's route key: `{}` for the root, then `/{matchers}` per level, with the
    /// sibling index so that two children with the same matchers stay apart.
    func routeKey(parentKey: String?, index: Int) -> String {
        let own = "{" + matchers.map(\.description).joined(separator: ",") + "}"
        guard let parentKey else { return own }
        return "\(parentKey)/\(own)/\(index)"
    }
}

/// `alerts.inhibitRules[]`: while an alert matching `sourceMatchers` fires, alerts matching
/// `targetMatchers` that have the same values for every label in `equal` (a missing label
/// counts as empty) are muted.
///
/// As in Alertmanager (`inhibit/inhibit.go`, `hasEqual` with `excludeTwoSidedMatch`): when the
/// target itself also matches the source side, sources that also match the target side are
/// disregarded, so an alert never mutes itself and two alerts matching both sides never
/// mute each other; a source that matches only the source side still mutes it.
public struct InhibitRule: Codable, Sendable, Equatable, Hashable {
    public var sourceMatchers: [LabelMatcher]
    public var targetMatchers: [LabelMatcher]
    public var equal: [String]

    public init(sourceMatchers: [LabelMatcher], targetMatchers: [LabelMatcher], equal: [String]) {
        self.sourceMatchers = sourceMatchers
        self.targetMatchers = targetMatchers
        self.equal = equal
    }

    /// True when `target` is muted by one of the firing `sources` (pass only firing alerts;
    /// `target` may be among them).
    public func inhibits(_ target: [String: String], firing sources: [[String: String]]) -> Bool {
        guard targetMatchers.allMatch(target) else { return false }
        let excludeTwoSided = sourceMatchers.allMatch(target)
        return sources.contains { source in
            guard sourceMatchers.allMatch(source),
                  equal.allSatisfy({ (source[$0] ?? "") == (target[$0] ?? "") }) else { return false }
            return !(excludeTwoSided && targetMatchers.allMatch(source))
        }
    }

    /// The built-in rule: a NodeOffline alert mutes every other alert of that node.
    public static var nodeOfflineMutesNode: InhibitRule {
        // The literals are valid label names and plain values; construction cannot fail.
        let source = (try? LabelMatcher(name: "alertname", op: .equal, value: "NodeOffline")).map { [$0] } ?? []
        let target = (try? LabelMatcher(name: "alertname", op: .notEqual, value: "NodeOffline")).map { [$0] } ?? []
        return InhibitRule(sourceMatchers: source, targetMatchers: target, equal: ["node"])
    }
}
