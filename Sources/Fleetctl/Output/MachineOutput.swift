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
            // Through JSON, so that YAML shows what JSON shows: plain numbers (`18.3`, not
            // `1.83e+1`) and ISO 8601 times, with the same sorted keys.
            let json = try WireCoding.encoder().encode(value)
            let tree = try JSONDecoder().decode(JSONTree.self, from: json)
            let text = try Yams.serialize(node: tree.node, sortKeys: true)
            return text.hasSuffix("\n") ? text : text + "\n"
        }
    }
}

/// A JSON value read back from the encoder's output becomes the plain YAML scalar it should be.
typealias JSONTree = JSONValue

extension JSONValue {
    var node: Node {
        switch self {
        case .object(let members):
            return .mapping(Node.Mapping(members.sorted { $0.key < $1.key }.map { (Node($0.key), $0.value.node) }))
        case .array(let items):
            return .sequence(Node.Sequence(items.map(\.node)))
        case .string(let text):
            // Quoted when plain text would read back as something else (`true`, `1.5`, `null`, a time).
            return .scalar(text.represented())
        case .bool(let flag): return Node(flag ? "true" : "false")
        case .int(let number): return Node(String(number))
        case .double(let number): return Node(number.isFinite ? Self.decimal(number) : ".nan")
        case .null: return Node("null")
        }
    }

    /// `18.3`, `0.5`, `100.0`: Swift's shortest round-trip text, never an exponent for ordinary values.
    static func decimal(_ number: Double) -> String {
        let text = String(number)
        guard text.contains("e") else { return text }
        return String(format: "%.6f", number).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"\.$"#, with: ".0", options: .regularExpression)
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
    /// `get stations`: the recorded share of the last 24 hours, 0–100 (null when unknown).
    public var coverage24hPercent: Double?
    public var includesCoverage: Bool

    public init(_ view: StationView) {
        self.view = view
        includesCoverage = false
    }

    public init(_ view: StationView, coverage24hPercent: Double?) {
        self.view = view
        self.coverage24hPercent = coverage24hPercent
        includesCoverage = true
    }

    private enum Keys: String, CodingKey { case currentSegment, newestSegmentAgeSeconds, coverage24hPercent }

    public func encode(to encoder: any Encoder) throws {
        try view.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        if view.currentSegment == nil { try container.encodeNil(forKey: .currentSegment) }
        if view.newestSegmentAgeSeconds == nil { try container.encodeNil(forKey: .newestSegmentAgeSeconds) }
        if includesCoverage { try container.encode(coverage24hPercent, forKey: .coverage24hPercent) }
    }
}
