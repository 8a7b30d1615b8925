import Foundation
import Yams

/// Parsing of the `alerts` block: thresholds, receivers and the route tree.
extension InventoryLoader {
    static let routeFields = ["receiver", "groupBy", "groupWait", "groupInterval", "repeatInterval",
                              "match", "matchRe", "continue", "routes"]
    static let maxRouteDepth = 16

    /// Nil when no file has an `alerts` block.
    func parseAlerts(blocks: [Pending], receivers: [Pending]) -> AlertsConfig? {
        guard !blocks.isEmpty || !receivers.isEmpty else { return nil }
        var alerts = AlertsConfig()
        for item in receivers {
            if let receiver = parseReceiver(item) { alerts.receivers[receiver.name] = receiver }
        }
        for item in blocks {
            let (entry, reader) = (item.entry, item.reader)
            switch entry.key {
            case "thresholds":
                alerts.thresholds = parseThresholds(entry, reader: reader)
            case "route":
                alerts.route = parseRoute(entry.value, anchor: entry.keyNode, reader: reader, path: "alerts.route", depth: 0)
            default:
                break
            }
        }
        if alerts.route == nil, !blocks.contains(where: { $0.entry.key == "route" }), let first = receivers.first {
            first.reader.report(first.entry.keyNode, "alerts has receivers but no 'route': add alerts.route with a receiver")
        }
        return alerts
    }

    private func parseThresholds(_ entry: Entry, reader: FieldReader) -> AlertThresholds {
        var thresholds = AlertThresholds()
        guard let fields = reader.fields(entry.value, what: "alerts.thresholds", anchor: entry.keyNode,
                                         allowed: ["nodeOfflineAfter", "segmentStaleAfter", "diskUsageAbove",
                                                   "archiveBacklogAbove"]) else { return thresholds }
        for field in fields.entries {
            switch field.key {
            case "nodeOfflineAfter":
                if let value = reader.duration(field.value, field.key) { thresholds.nodeOfflineAfterSeconds = value }
            case "segmentStaleAfter":
                if let value = reader.duration(field.value, field.key) { thresholds.segmentStaleAfterSeconds = value }
            case "diskUsageAbove":
                if let value = reader.percentage(field.value, field.key) { thresholds.diskUsageAbovePercent = value }
            case "archiveBacklogAbove":
                if let value = reader.duration(field.value, field.key) { thresholds.archiveBacklogAboveSeconds = value }
            default:
                break
            }
        }
        return thresholds
    }

    private func parseReceiver(_ item: Pending) -> AlertReceiver? {
        let (entry, reader) = (item.entry, item.reader)
        guard reader.name(entry.key, at: entry.keyNode, kind: "receiver") else { return nil }
        let what = "receiver '\(entry.key)'"
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: ["email", "webhook"]) else { return nil }
        switch (fields["email"], fields["webhook"]) {
        case (nil, nil):
            reader.report(fields.anchor, "\(what) needs one of 'email' or 'webhook'")
            return nil
        case let (_?, webhook?):
            reader.report(webhook.keyNode, "\(what) has both 'email' and 'webhook': define two receivers instead")
            return nil
        case let (email?, nil):
            return parseEmail(email, reader: reader, what: what).map { AlertReceiver(name: entry.key, channel: .email($0)) }
        case let (nil, webhook?):
            guard let hook = reader.fields(webhook.value, what: "webhook of \(what)", anchor: webhook.keyNode,
                                           allowed: ["url"]),
                  let urlEntry = hook.required("url"),
                  let url = checkedURL(urlEntry.value, field: "url", schemes: ["http", "https"], reader: reader)
            else { return nil }
            return AlertReceiver(name: entry.key, channel: .webhook(WebhookReceiverConfig(url: url)))
        }
    }

    private func parseEmail(_ entry: Entry, reader: FieldReader, what: String) -> EmailReceiverConfig? {
        guard let fields = reader.fields(entry.value, what: "email of \(what)", anchor: entry.keyNode,
                                         allowed: ["to", "smtp", "usernameFile", "passwordFile", "from"]) else { return nil }
        var to: [String]?
        if let toEntry = fields.required("to"), let items = reader.stringList(toEntry.value, "to") {
            if items.isEmpty { reader.report(toEntry.value, "'to' of \(what) must list at least one address") }
            for (address, node) in items where !address.contains("@") || address.contains(where: \.isWhitespace) {
                reader.report(node, "bad email address '\(address)'")
            }
            to = items.map(\.0)
        }
        let smtp = fields.required("smtp").flatMap {
            checkedURL($0.value, field: "smtp", schemes: ["smtp", "smtps"], reader: reader)
        }
        let usernameFile = fields["usernameFile"].flatMap { reader.absolutePath($0.value, "usernameFile") }
        let passwordFile = fields["passwordFile"].flatMap { reader.absolutePath($0.value, "passwordFile") }
        let from = fields["from"].flatMap { reader.nonEmptyString($0.value, "from") }
        guard let to, let smtp else { return nil }
        return EmailReceiverConfig(to: to, smtp: smtp, usernameFile: usernameFile, passwordFile: passwordFile, from: from)
    }

    private func checkedURL(_ node: Yams.Node, field: String, schemes: [String], reader: FieldReader) -> String? {
        guard let text = reader.nonEmptyString(node, field) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
              let host = url.host, !host.isEmpty else {
            let examples = schemes.map { "\($0)://HOST" }.joined(separator: " or ")
            reader.report(node, "bad URL '\(text)' for '\(field)': use \(examples)")
            return nil
        }
        return text
    }

    /// One route and its children; receivers are queued as references at every depth.
    private func parseRoute(_ node: Yams.Node, anchor: Yams.Node, reader: FieldReader, path: String, depth: Int) -> AlertRoute? {
        guard depth < Self.maxRouteDepth else {
            reader.report(node, "route tree is deeper than \(Self.maxRouteDepth) levels at \(path)")
            return nil
        }
        guard let fields = reader.fields(node, what: path, anchor: anchor, allowed: Self.routeFields) else { return nil }
        var route = AlertRoute()
        var valid = true
        if depth == 0 {
            valid = fields.required("receiver") != nil
        }
        for field in fields.entries {
            let value = field.value
            switch field.key {
            case "receiver":
                guard let name = reader.nonEmptyString(value, field.key) else { valid = false; continue }
                refer(.receiver, name, at: value, reader: reader, from: path)
                route.receiver = name
            case "groupBy":
                route.groupBy = reader.stringList(value, field.key)?.map(\.0)
            case "groupWait":
                route.groupWaitSeconds = reader.duration(value, field.key, allowZero: true)
            case "groupInterval":
                route.groupIntervalSeconds = reader.duration(value, field.key)
            case "repeatInterval":
                route.repeatIntervalSeconds = reader.duration(value, field.key)
            case "match":
                for (name, text) in (reader.stringMap(value, field.key) ?? [:]).sorted(by: { $0.key < $1.key }) {
                    do { route.matchers.append(try LabelMatcher(name: name, op: .equal, value: text)) } catch {
                        reader.report(value, "\(error) in \(path).match")
                    }
                }
            case "matchRe":
                for item in reader.entries(value, field: field.key) ?? [] {
                    guard let pattern = reader.string(item.value, "matchRe.\(item.key)") else { continue }
                    do { route.matchers.append(try LabelMatcher(name: item.key, op: .regex, value: pattern)) } catch {
                        reader.report(item.value, "\(error) for label '\(item.key)' in \(path).matchRe")
                    }
                }
            case "continue":
                route.continueMatching = reader.bool(value, field.key) ?? false
            case "routes":
                guard case let .sequence(children) = value else {
                    reader.wrongType(value, field.key, expected: "a list of routes")
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
        return valid ? route : nil
    }
}
