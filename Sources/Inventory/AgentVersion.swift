import FleetProtocol
import Foundation
import Yams

/// `agentVersion:` under `defaults`, a site or a node: the `fleet-agent` version those nodes
/// must run (node > site > defaults). The version must be published
/// (`fleetctl agent publish BINARY --version V`) before an inventory naming it is applied.
///
/// ```yaml
/// defaults: {agentVersion: 0.2.0}
/// sites:
///   auklab: {agentVersion: 0.3.0-rc1}     # this site tries the next build first
/// nodes:
///   recordingpi: {site: auklab, agentVersion: 0.2.0}
/// ```
extension InventoryLoader {
    /// Reads one `agentVersion` value and remembers where it was written (`key`: `defaults`,
    /// `site/NAME` or `node/NAME`), so that compiling against the published builds can point at it.
    func parseAgentVersion(_ entry: Entry, reader: FieldReader, key: String) -> String? {
        guard let version = reader.nonEmptyString(entry.value, "agentVersion") else { return nil }
        guard AgentBuild.isValidVersion(version) else {
            reader.report(entry.value, "bad agentVersion '\(version)': use 1–64 letters, digits, '.', '-', '_' or '+', starting with a letter or digit, like 0.2.0")
            return nil
        }
        agentVersionPositions[key] = reader.position(entry.value)
        return version
    }
}

extension Inventory {
    /// The agent version `node` must run and where it was declared (`node/NAME`, `site/NAME` or
    /// `defaults`); nil when the inventory names none for it.
    public func agentVersion(of node: NodeConfig) -> (version: String, declaredIn: String)? {
        if let version = node.agentVersion { return (version, "node/\(node.name)") }
        if let version = sites[node.site]?.agentVersion { return (version, "site/\(node.site)") }
        if let version = defaults.agentVersion { return (version, "defaults") }
        return nil
    }

    /// ``compile()``, and each node's ``Assignment/agent``: its agent version with every
    /// published build of that version (sorted by arch). Only nodes whose inventory names a
    /// version get a target, so changing `agentVersion` changes exactly those assignments.
    ///
    /// - Parameters:
    ///   - agentBuilds: every published build (the coordinator's store).
    ///   - requirePublished: refuse a version without any published build (an apply);
    ///     false compiles it with no builds (comparing stored revisions).
    /// - Throws: `InventoryError` with one diagnostic at each `agentVersion` naming an unpublished version.
    public func compile(agentBuilds: [AgentBuild], requirePublished: Bool = true) throws(InventoryError) -> DesiredState {
        var state = compile()
        let byVersion = Dictionary(grouping: agentBuilds, by: \.version)
        var diagnostics: [Diagnostic] = []
        var reported: Set<String> = []
        for node in nodes.values.sorted(by: { $0.name < $1.name }) {
            guard let (version, declaredIn) = agentVersion(of: node) else { continue }
            let builds = (byVersion[version] ?? []).sorted { $0.arch < $1.arch }
            if builds.isEmpty && requirePublished {
                if reported.insert(declaredIn).inserted {
                    let position = agentVersionPositions[declaredIn] ?? SourcePosition(file: "inventory", line: 1, column: 1)
                    diagnostics.append(Diagnostic(position, Self.unpublishedMessage(version, published: byVersion.keys)))
                }
                continue
            }
            state.assignments[node.name]?.agent = AgentTarget(version: version, builds: builds)
        }
        if !diagnostics.isEmpty { throw InventoryError(diagnostics: diagnostics) }
        return state
    }

    static func unpublishedMessage(_ version: String, published: Dictionary<String, [AgentBuild]>.Keys) -> String {
        let known = published.sorted()
        let list = known.isEmpty ? "none is published yet"
            : "published: \(known.prefix(10).joined(separator: ", "))\(known.count > 10 ? ", …" : "")"
        return "agentVersion \(version) has no published agent build (\(list)); "
            + "publish it first with `fleetctl agent publish BINARY --version \(version)`"
    }
}
