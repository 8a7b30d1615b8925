import Foundation
import Yams

/// Parsing of `alerts.route`, the route tree, with Alertmanager's rules: the root has a
/// receiver and no matchers or `continue`; `groupBy: ['...']` alone means all labels.
extension InventoryLoader {
    static let routeFields = ["receiver", "groupBy", "groupWait", "groupInterval", "repeatInterval",
                              "match", "matchRe", "matchers", "continue", "routes", "muteTimeIntervals",
                              "activeTimeIntervals"]
    static let maxRouteDepth = 16

    /// One route and its children; receivers are queued as references at every depth.
    func parseRoute(_ node: Yams.Node, anchor: Yams.Node, reader: FieldReader, path: String, depth: Int) -> AlertRoute? {
        guard depth < Self.maxRouteDepth else {
            reader.report(node, "route tree is deeper than \(Self.maxRouteDepth) levels at \(path)")
            return nil
        }
        guard let fields = reader.fields(node, what: path, anchor: anchor, allowed: Self.routeFields) else { return nil }
        var route = AlertRoute()
        var valid = true
        if depth == 0 {
            valid = fields.required("receiver") != nil
            let reasons = ["match": "matches every alert", "matchRe": "matches every alert", "matchers": "matches every alert",
                           "continue": "has no siblings", "muteTimeIntervals": "is the default for every alert",
                           "activeTimeIntervals": "is the default for every alert"]
            for field in fields.entries {
                guard let reason = reasons[field.key] else { continue }
                reader.report(field.keyNode, "the root route cannot have '\(field.key)': it \(reason); put it on a child in 'routes'")
                valid = false
            }
        }
        for field in fields.entries {
            let value = field.value
            switch field.key {
            case "receiver":
                guard let name = reader.nonEmptyString(value, field.key) else { valid = false; continue }
                refer(.receiver, name, at: value, reader: reader, from: path)
                route.receiver = name
            case "groupBy":
                route.groupBy = groupBy(value, path: path, reader: reader)
                valid = valid && route.groupBy != nil
            case "groupWait":
                route.groupWaitSeconds = reader.duration(value, field.key, allowZero: true)
                valid = valid && route.groupWaitSeconds != nil
            case "groupInterval":
                route.groupIntervalSeconds = reader.duration(value, field.key)
                valid = valid && route.groupIntervalSeconds != nil
            case "repeatInterval":
                route.repeatIntervalSeconds = reader.duration(value, field.key)
                valid = valid && route.repeatIntervalSeconds != nil
            case "match", "matchRe":
                let op: LabelMatcher.Operator = field.key == "match" ? .equal : .regex
                guard let matchers = shortMatchers(value, op: op, field: field.key, path: path, reader: reader) else {
                    valid = false
                    continue
                }
                route.matchers += matchers
            case "matchers":
                guard let matchers = matcherList(value, field: "\(path).matchers", reader: reader) else {
                    valid = false
                    continue
                }
                route.matchers += matchers
            case "muteTimeIntervals", "activeTimeIntervals":
                guard let names = timeIntervalNames(value, field: field.key, path: path, reader: reader) else {
                    valid = false
                    continue
                }
                if field.key == "muteTimeIntervals" { route.muteTimeIntervals = names } else { route.activeTimeIntervals = names }
            case "continue":
                route.continueMatching = reader.bool(value, field.key) ?? false
            case "routes":
                guard case let .sequence(children) = value else {
                    reader.wrongType(value, field.key, expected: "a list of routes")
                    valid = false
                    continue
                }
                for (index, child) in children.enumerated() {
                    let childPath = "\(path).routes[\(index)]"
                    if let parsed = parseRoute(child, anchor: child, reader: reader, path: childPath, depth: depth + 1) {
                        route.routes.append(parsed)
                    }
                }
            default:
                break
            }
        }
        // Alertmanager sorts a route's matchers (name, value, operator); the route key follows this order.
        route.matchers.sort(by: Self.matcherOrder)
        return valid ? route : nil
    }

    static func matcherOrder(_ a: LabelMatcher, _ b: LabelMatcher) -> Bool {
        if a.name != b.name { return a.name < b.name }
        if a.value != b.value { return a.value < b.value }
        let order = LabelMatcher.Operator.allCases
        return (order.firstIndex(of: a.op) ?? 0) < (order.firstIndex(of: b.op) ?? 0)
    }

    /// `groupBy`: label names, or `['...']` alone for all labels; `[]` clears the parent's.
    private func groupBy(_ node: Yams.Node, path: String, reader: FieldReader) -> [String]? {
        guard let items = reader.stringList(node, "groupBy") else { return nil }
        if let all = items.first(where: { $0.0 == AlertRoute.groupByAllMarker }) {
            guard items.count == 1 else {
                reader.report(all.1, "groupBy of \(path) cannot combine '...' (all labels) with other labels: give ['...'] alone")
                return nil
            }
            return [AlertRoute.groupByAllMarker]
        }
        return labelNames(node, field: "groupBy", reader: reader)
    }

    /// Names of `alerts.timeIntervals`, each queued as a reference; a name listed twice is an error.
    private func timeIntervalNames(_ node: Yams.Node, field: String, path: String, reader: FieldReader) -> [String]? {
        guard let items = reader.stringList(node, field) else { return nil }
        var names: [String] = []
        for (name, itemNode) in items {
            guard !names.contains(name) else {
                reader.report(itemNode, "time interval '\(name)' is listed twice in '\(field)' of \(path)")
                return nil
            }
            names.append(name)
            refer(.timeInterval, name, at: itemNode, reader: reader, from: "\(path).\(field)")
        }
        return names
    }

    /// `match: {k: v}` or `matchRe: {k: re}`, each pair one matcher, errors at the pair.
    private func shortMatchers(_ node: Yams.Node, op: LabelMatcher.Operator, field: String, path: String,
                               reader: FieldReader) -> [LabelMatcher]? {
        guard let entries = reader.entries(node, field: field) else { return nil }
        var matchers: [LabelMatcher] = []
        var valid = true
        for item in entries {
            guard let text = reader.string(item.value, "\(field).\(item.key)") else { valid = false; continue }
            do { matchers.append(try LabelMatcher(name: item.key, op: op, value: text)) } catch {
                if case .badLabelName = error {
                    reader.report(item.keyNode, "\(error) in \(path).\(field)")
                } else {
                    reader.report(item.value, "\(error) for label '\(item.key)' in \(path).\(field)")
                }
                valid = false
            }
        }
        return valid ? matchers : nil
    }
}
