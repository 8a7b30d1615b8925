import Foundation
import Yams

/// Whether `Inventory.load` checks that credential files named by alert receivers
/// (`usernameFile`, `passwordFile`, `caFile`, `secretFile`) exist and are readable.
///
/// The coordinator applies with `.require` (the files live on its host); `fleetctl` checks
/// an inventory locally with `.skip`, where `/etc/stationfleet/*` usually does not exist.
public enum SecretFileCheck: Sendable, Equatable {
    /// Only check that each path is absolute.
    case skip
    /// Also check that each file exists, is a regular file and is readable by this process.
    case require
}

/// Parsing of `alerts.receivers`: email, webhook and alertmanager channels.
extension InventoryLoader {
    static let receiverChannels = ["email", "webhook", "alertmanager"]

    func parseReceiver(_ item: Pending) -> AlertReceiver? {
        let (entry, reader) = (item.entry, item.reader)
        guard reader.name(entry.key, at: entry.keyNode, kind: "receiver") else { return nil }
        let what = "receiver '\(entry.key)'"
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: Self.receiverChannels) else { return nil }
        let given = fields.entries
        guard let channel = given.first else {
            reader.report(fields.anchor, "\(what) needs one of 'email' or 'webhook' (or 'alertmanager')")
            return nil
        }
        if given.count > 1 {
            let names = given.map { "'\($0.key)'" }.joined(separator: " and ")
            reader.report(given[1].keyNode, "\(what) has both \(names): define one receiver per channel")
            return nil
        }
        let parsed: AlertReceiver.Channel?
        switch channel.key {
        case "email":
            parsed = parseEmail(channel, reader: reader, what: what).map { .email($0) }
        case "webhook":
            parsed = parseWebhook(channel, reader: reader, what: what).map { .webhook($0) }
        default:
            parsed = parseAlertmanager(channel, reader: reader, what: what).map { .alertmanager($0) }
        }
        return parsed.map { AlertReceiver(name: entry.key, channel: $0) }
    }

    private func parseEmail(_ entry: Entry, reader: FieldReader, what: String) -> EmailReceiverConfig? {
        let allowed = ["to", "smtp", "usernameFile", "passwordFile", "from", "requireTLS", "caFile"]
        guard let fields = reader.fields(entry.value, what: "email of \(what)", anchor: entry.keyNode,
                                         allowed: allowed) else { return nil }
        var valid = true
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
        var files: [String: String] = [:]
        for key in ["usernameFile", "passwordFile", "caFile"] {
            guard let field = fields[key] else { continue }
            if let path = credentialFile(field.value, field: key, reader: reader) { files[key] = path } else { valid = false }
        }
        let from = fields["from"].flatMap { reader.nonEmptyString($0.value, "from") }
        var requireTLS = false
        if let field = fields["requireTLS"] {
            if let flag = reader.bool(field.value, field.key) { requireTLS = flag } else { valid = false }
        }
        guard valid, let to, let smtp else { return nil }
        return EmailReceiverConfig(to: to, smtp: smtp, usernameFile: files["usernameFile"],
                                   passwordFile: files["passwordFile"], from: from,
                                   requireTLS: requireTLS, caFile: files["caFile"])
    }

    private func parseWebhook(_ entry: Entry, reader: FieldReader, what: String) -> WebhookReceiverConfig? {
        guard let fields = reader.fields(entry.value, what: "webhook of \(what)", anchor: entry.keyNode,
                                         allowed: ["url", "secretFile", "maxAlerts"]) else { return nil }
        var valid = true
        let url = fields.required("url").flatMap {
            checkedURL($0.value, field: "url", schemes: ["http", "https"], reader: reader)
        }
        var secretFile: String?
        if let field = fields["secretFile"] {
            secretFile = credentialFile(field.value, field: field.key, reader: reader)
            valid = valid && secretFile != nil
        }
        var maxAlerts = 0
        if let field = fields["maxAlerts"] {
            if let count = reader.int(field.value, field.key, range: 0...1_000_000) { maxAlerts = count } else { valid = false }
        }
        guard valid, let url else { return nil }
        return WebhookReceiverConfig(url: url, secretFile: secretFile, maxAlerts: maxAlerts)
    }

    private func parseAlertmanager(_ entry: Entry, reader: FieldReader, what: String) -> AlertmanagerReceiverConfig? {
        guard let fields = reader.fields(entry.value, what: "alertmanager of \(what)", anchor: entry.keyNode,
                                         allowed: ["url"]),
              let urlEntry = fields.required("url"),
              let url = checkedURL(urlEntry.value, field: "url", schemes: ["http", "https"], reader: reader)
        else { return nil }
        if let parsed = URL(string: url), !["", "/"].contains(parsed.path) || parsed.query != nil {
            reader.report(urlEntry.value, "bad URL '\(url)' for the alertmanager 'url': give only http(s)://HOST[:PORT]; alerts go to URL/api/v2/alerts")
            return nil
        }
        return AlertmanagerReceiverConfig(url: url)
    }

    /// A URL with one of `schemes` and a non-empty host.
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

    /// An absolute path to a credential file on the coordinator; with ``SecretFileCheck/require``
    /// also readable now.
    private func credentialFile(_ node: Yams.Node, field: String, reader: FieldReader) -> String? {
        guard let path = reader.absolutePath(node, field) else { return nil }
        guard secretFiles == .require else { return path }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if !exists {
            reader.report(node, "'\(field)' file '\(path)' does not exist on the coordinator")
            return nil
        }
        if isDirectory.boolValue || !FileManager.default.isReadableFile(atPath: path) {
            reader.report(node, "'\(field)' file '\(path)' is not a readable file on the coordinator")
            return nil
        }
        return path
    }
}
