import Foundation
import Yams
import FleetProtocol

/// Parsing of sites, nodes, defaults and stations.
extension InventoryLoader {
    /// Fields a station may override from `defaults.recorder`.
    static let recorderFields = ["segmentSeconds", "rtspPort", "rtspPath", "username", "passwordFile",
                                 "outputDir", "stallSeconds", "rtspTransport"]

    func parseSite(_ item: Pending) -> SiteConfig? {
        let (entry, reader) = (item.entry, item.reader)
        guard reader.name(entry.key, at: entry.keyNode, kind: "site") else { return nil }
        let what = "site '\(entry.key)'"
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: ["labels", "rollout", "agentVersion", "heartbeatSeconds"]) else { return nil }
        let labels = fields["labels"].flatMap { reader.stringMap($0.value, "labels") } ?? [:]
        let rollout = fields["rollout"].flatMap { parseRollout($0, reader: reader, what: "rollout of \(what)") }
        let agentVersion = fields["agentVersion"].flatMap { parseAgentVersion($0, reader: reader, key: "site/\(entry.key)") }
        let heartbeat = fields["heartbeatSeconds"].flatMap { reader.int($0.value, "heartbeatSeconds", range: 1...3_600) }
        return SiteConfig(name: entry.key, labels: labels, rollout: rollout, agentVersion: agentVersion, heartbeatSeconds: heartbeat)
    }

    func parseNode(_ item: Pending) -> NodeConfig? {
        let (entry, reader) = (item.entry, item.reader)
        guard reader.name(entry.key, at: entry.keyNode, kind: "node") else { return nil }
        let what = "node '\(entry.key)'"
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: ["site", "labels", "agentVersion", "heartbeatSeconds"]),
              let siteEntry = fields.required("site"),
              let site = reader.nonEmptyString(siteEntry.value, "site") else { return nil }
        refer(.site, site, at: siteEntry.value, reader: reader, from: what)
        let labels = fields["labels"].flatMap { reader.stringMap($0.value, "labels") } ?? [:]
        let agentVersion = fields["agentVersion"].flatMap { parseAgentVersion($0, reader: reader, key: "node/\(entry.key)") }
        let heartbeat = fields["heartbeatSeconds"].flatMap { reader.int($0.value, "heartbeatSeconds", range: 1...3_600) }
        return NodeConfig(name: entry.key, site: site, labels: labels, agentVersion: agentVersion, heartbeatSeconds: heartbeat)
    }

    /// `defaults` merged from every file's `defaults` block.
    func parseDefaults(_ items: [Pending]) -> InventoryDefaults {
        var defaults = InventoryDefaults()
        for item in items {
            let (entry, reader) = (item.entry, item.reader)
            switch entry.key {
            case "heartbeatSeconds":
                if let value = reader.int(entry.value, "heartbeatSeconds", range: 1...3_600) {
                    defaults.heartbeatSeconds = value
                }
            case "recorder":
                guard let fields = reader.fields(entry.value, what: "defaults.recorder", anchor: entry.keyNode,
                                                 allowed: Self.recorderFields) else { continue }
                let values = recorderValues(fields.entries, reader: reader)
                var recorder = RecorderDefaults()
                if let value = values.segmentSeconds { recorder.segmentSeconds = value }
                if let value = values.rtspPort { recorder.rtspPort = value }
                if let value = values.rtspPath { recorder.rtspPath = value }
                recorder.username = values.username
                recorder.passwordFile = values.passwordFile
                if let value = values.outputDir { recorder.outputDir = value }
                if let value = values.stallSeconds { recorder.stallSeconds = value }
                if let value = values.rtspTransport { recorder.rtspTransport = value }
                defaults.recorder = recorder
            case "rollout":
                defaults.rollout = parseRollout(entry, reader: reader, what: "defaults.rollout")
            case "agentVersion":
                defaults.agentVersion = parseAgentVersion(entry, reader: reader, key: "defaults")
            default:
                break
            }
        }
        return defaults
    }

    func parseStation(_ item: Pending) -> StationConfig? {
        let (entry, reader) = (item.entry, item.reader)
        guard reader.name(entry.key, at: entry.keyNode, kind: "station") else { return nil }
        let what = "station '\(entry.key)'"
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: ["node", "camera"] + Self.recorderFields) else { return nil }
        var node: String?
        if let nodeEntry = fields.required("node"), let name = reader.nonEmptyString(nodeEntry.value, "node") {
            refer(.node, name, at: nodeEntry.value, reader: reader, from: what)
            node = name
        }
        guard let cameraEntry = fields.required("camera"),
              let camera = reader.fields(cameraEntry.value, what: "camera of \(what)", anchor: cameraEntry.keyNode,
                                         allowed: ["host"] + Self.recorderFields) else { return nil }
        var host: String?
        if let hostEntry = camera.required("host"), let value = reader.nonEmptyString(hostEntry.value, "host") {
            if value.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" || $0 == "?" || $0 == "#" }) {
                reader.report(hostEntry.value, "bad camera host '\(value)' in \(what): give a host name or IP address only")
            } else {
                host = value
            }
        }
        // Overrides may sit on the station or inside camera:, not both.
        let stationOverrides = fields.entries.filter { Self.recorderFields.contains($0.key) }
        for cameraOverride in camera.entries where stationOverrides.contains(where: { $0.key == cameraOverride.key }) {
            reader.report(cameraOverride.keyNode, "'\(cameraOverride.key)' is set both on \(what) and in its camera: give it once")
        }
        let values = recorderValues(stationOverrides + camera.entries.filter { $0.key != "host" }, reader: reader)
        guard let node, let host else { return nil }
        let config = CameraConfig(host: host, segmentSeconds: values.segmentSeconds, rtspPort: values.rtspPort,
                                  rtspPath: values.rtspPath, username: values.username,
                                  passwordFile: values.passwordFile, outputDir: values.outputDir,
                                  stallSeconds: values.stallSeconds, rtspTransport: values.rtspTransport)
        return StationConfig(name: entry.key, node: node, camera: config)
    }

    /// Recorder settings present among `entries` (nil = not given or invalid).
    func recorderValues(_ entries: [Entry], reader: FieldReader) -> CameraConfig {
        var values = CameraConfig(host: "")
        for entry in entries {
            let value = entry.value
            switch entry.key {
            case "segmentSeconds":
                values.segmentSeconds = values.segmentSeconds ?? reader.int(value, entry.key, range: 1...86_400)
            case "rtspPort":
                values.rtspPort = values.rtspPort ?? reader.int(value, entry.key, range: 1...65_535)
            case "rtspPath":
                guard let path = reader.nonEmptyString(value, entry.key) else { continue }
                if path.hasPrefix("/") {
                    values.rtspPath = values.rtspPath ?? path
                } else {
                    reader.report(value, "'rtspPath' must start with '/', found '\(path)'")
                }
            case "username":
                values.username = values.username ?? reader.nonEmptyString(value, entry.key)
            case "passwordFile":
                values.passwordFile = values.passwordFile ?? reader.absolutePath(value, entry.key)
            case "outputDir":
                values.outputDir = values.outputDir ?? reader.absolutePath(value, entry.key)
            case "stallSeconds":
                values.stallSeconds = values.stallSeconds ?? reader.int(value, entry.key, range: 1...86_400)
            case "rtspTransport":
                guard let transport = reader.string(value, entry.key) else { continue }
                if transport == "tcp" || transport == "udp" {
                    values.rtspTransport = values.rtspTransport ?? transport
                } else {
                    reader.report(value, "bad rtspTransport '\(transport)': use tcp or udp")
                }
            default:
                break
            }
        }
        return values
    }
}
