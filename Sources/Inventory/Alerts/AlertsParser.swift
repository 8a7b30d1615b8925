import Foundation
import Yams

/// Parsing of the `alerts` block: thresholds, inhibit rules, then receivers, routes and time
/// intervals (in `AlertReceiverParser.swift`, `AlertRouteParser.swift` and `TimeIntervalParser.swift`).
extension InventoryLoader {
    static let alertsFields = ["thresholds", "receivers", "route", "inhibitRules", "builtinInhibitRules", "timeIntervals"]
    static let thresholdFields = ["nodeOfflineAfter", "segmentStaleAfter", "diskUsageAbove", "archiveBacklogAbove",
                                  "recorderRestartsAbove", "restartWindow", "diskFullWithin", "agentVersionSkew"]

    /// Nil when no file has an `alerts` block.
    func parseAlerts(blocks: [Pending], receivers: [Pending]) -> AlertsConfig? {
        guard !blocks.isEmpty || !receivers.isEmpty else { return nil }
        var alerts = AlertsConfig()
        for item in receivers {
            if let receiver = parseReceiver(item) { alerts.receivers[receiver.name] = receiver }
        }
        var builtin = true
        var custom: [InhibitRule] = []
        for item in blocks {
            let (entry, reader) = (item.entry, item.reader)
            switch entry.key {
            case "thresholds":
                alerts.thresholds = parseThresholds(entry, reader: reader)
            case "route":
                alerts.route = parseRoute(entry.value, anchor: entry.keyNode, reader: reader, path: "alerts.route", depth: 0)
            case "inhibitRules":
                custom = parseInhibitRules(entry.value, reader: reader)
            case "builtinInhibitRules":
                builtin = reader.bool(entry.value, entry.key) ?? true
            case "timeIntervals":
                alerts.timeIntervals = parseTimeIntervals(entry, reader: reader)
            default:
                break
            }
        }
        alerts.inhibitRules = (builtin ? [.nodeOfflineMutesNode] : []) + custom
        if alerts.route == nil, !blocks.contains(where: { $0.entry.key == "route" }), let first = receivers.first {
            first.reader.report(first.entry.keyNode, "alerts has receivers but no 'route': add alerts.route with a receiver")
        }
        return alerts
    }

    private func parseThresholds(_ entry: Entry, reader: FieldReader) -> AlertThresholds {
        var thresholds = AlertThresholds()
        guard let fields = reader.fields(entry.value, what: "alerts.thresholds", anchor: entry.keyNode,
                                         allowed: Self.thresholdFields) else { return thresholds }
        for field in fields.entries {
            let (key, value) = (field.key, field.value)
            switch key {
            case "nodeOfflineAfter":
                if let seconds = reader.duration(value, key) { thresholds.nodeOfflineAfterSeconds = seconds }
            case "segmentStaleAfter":
                if let seconds = reader.duration(value, key) { thresholds.segmentStaleAfterSeconds = seconds }
            case "diskUsageAbove":
                if let percent = reader.percentage(value, key) { thresholds.diskUsageAbovePercent = percent }
            case "archiveBacklogAbove":
                if let seconds = reader.duration(value, key) { thresholds.archiveBacklogAboveSeconds = seconds }
            case "recorderRestartsAbove":
                if let count = reader.int(value, key, range: 0...10_000) { thresholds.recorderRestartsAbove = count }
            case "restartWindow":
                if let seconds = reader.duration(value, key) { thresholds.restartWindowSeconds = seconds }
            case "diskFullWithin":
                if let seconds = reader.duration(value, key) { thresholds.diskFullWithinSeconds = seconds }
            case "agentVersionSkew":
                if let enabled = reader.bool(value, key) { thresholds.agentVersionSkew = enabled }
            default:
                break
            }
        }
        return thresholds
    }

    /// `alerts.inhibitRules`: a list of `{sourceMatchers: [..], targetMatchers: [..], equal: [..]}`.
    private func parseInhibitRules(_ node: Yams.Node, reader: FieldReader) -> [InhibitRule] {
        guard case let .sequence(items) = node else {
            reader.wrongType(node, "inhibitRules", expected: "a list of {sourceMatchers, targetMatchers, equal}")
            return []
        }
        var rules: [InhibitRule] = []
        for (index, item) in items.enumerated() {
            let what = "alerts.inhibitRules[\(index)]"
            guard let fields = reader.fields(item, what: what, allowed: ["sourceMatchers", "targetMatchers", "equal"])
            else { continue }
            let source = fields.required("sourceMatchers").flatMap { matcherList($0.value, field: "sourceMatchers", reader: reader) }
            let target = fields.required("targetMatchers").flatMap { matcherList($0.value, field: "targetMatchers", reader: reader) }
            var equal: [String]? = []
            if let entry = fields["equal"] { equal = labelNames(entry.value, field: "equal", reader: reader) }
            for (entry, list) in [(fields["sourceMatchers"], source), (fields["targetMatchers"], target)] {
                if let entry, let list, list.isEmpty {
                    reader.report(entry.value, "'\(entry.key)' of \(what) must list at least one matcher")
                }
            }
            if let source, let target, let equal, !source.isEmpty, !target.isEmpty {
                rules.append(InhibitRule(sourceMatchers: source, targetMatchers: target, equal: equal))
            }
        }
        return rules
    }

    /// A list of matchers in Alertmanager's string form (`site=~"auk.*"`); nil when any is bad.
    func matcherList(_ node: Yams.Node, field: String, reader: FieldReader) -> [LabelMatcher]? {
        guard let items = reader.stringList(node, field) else { return nil }
        var matchers: [LabelMatcher] = []
        var valid = true
        for (text, itemNode) in items {
            do { matchers.append(try LabelMatcher(parsing: text)) } catch {
                reader.report(itemNode, "\(error) in '\(field)'")
                valid = false
            }
        }
        return valid ? matchers : nil
    }

    /// A list of distinct, valid label names; nil when any is bad.
    func labelNames(_ node: Yams.Node, field: String, reader: FieldReader) -> [String]? {
        guard let items = reader.stringList(node, field) else { return nil }
        var names: [String] = []
        var valid = true
        for (name, itemNode) in items {
            if !LabelMatcher.isValidLabelName(name) {
                reader.report(itemNode, "bad label name '\(name)' in '\(field)': use letters, digits and '_', not starting with a digit")
                valid = false
            } else if names.contains(name) {
                reader.report(itemNode, "label '\(name)' is listed twice in '\(field)'")
                valid = false
            } else {
                names.append(name)
            }
        }
        return valid ? names : nil
    }
}
