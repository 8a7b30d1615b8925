import FleetProtocol
import Foundation
import Yams

/// `-o json` and `-o yaml`: the decoded views re-encoded with camelCase keys.
///
/// The keys docs/reference.md documents are always present; an unknown value is `null`
/// rather than a missing key (see ``NodeOutput`` and ``StationOutput``).
public enum MachineOutput {
    /// Pretty JSON (sorted keys) or YAML of `value`, ending in a newline.
    public static func render<T: Encodable>(_ value: T, as format: OutputFormat) throws -> String {
        switch format {
        case .json, .table:
            let data = try WireCoding.encoder(pretty: true).encode(value)
            return String(decoding: data, as: UTF8.self) + "\n"
        case .yaml:
            let encoder = YAMLEncoder()
            encoder.options.sortKeys = true
            let text = try encoder.encode(value)
            return text.hasSuffix("\n") ? text : text + "\n"
        }
    }
}

/// A node as `get nodes -o json` prints it: every ``NodeView`` key, with the binding
/// optional keys (`lastHeartbeatAgeSeconds`, `agentVersion`, `diskUsedPercent`) as `null` when unknown.
public struct NodeOutput: Encodable, Sendable {
    public var view: NodeView
    public init(_ view: NodeView) { self.view = view }

    private enum Keys: String, CodingKey { case lastHeartbeatAgeSeconds, agentVersion, diskUsedPercent }

    public func encode(to encoder: any Encoder) throws {
        try view.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        if view.lastHeartbeatAgeSeconds == nil { try container.encodeNil(forKey: .lastHeartbeatAgeSeconds) }
        if view.agentVersion == nil { try container.encodeNil(forKey: .agentVersion) }
        if view.diskUsedPercent == nil { try container.encodeNil(forKey: .diskUsedPercent) }
    }
}

/// A station as `get stations -o json` prints it: every ``StationView`` key, with
/// `currentSegment` and `newestSegmentAgeSeconds` as `null` when unknown.
public struct StationOutput: Encodable, Sendable {
    public var view: StationView
    public init(_ view: StationView) { self.view = view }

    private enum Keys: String, CodingKey { case currentSegment, newestSegmentAgeSeconds }

    public func encode(to encoder: any Encoder) throws {
        try view.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        if view.currentSegment == nil { try container.encodeNil(forKey: .currentSegment) }
        if view.newestSegmentAgeSeconds == nil { try container.encodeNil(forKey: .newestSegmentAgeSeconds) }
    }
}
