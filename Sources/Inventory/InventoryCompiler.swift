import Foundation
import FleetProtocol

extension Inventory {
    /// Resolves defaults and templates into one assignment per node.
    ///
    /// Stations get `defaults.recorder` with their own settings winning; archives with
    /// `source: recordings` take each station folder of the node; `{node}` in targets is
    /// expanded, `{station}`/`{yyyy}`/`{mm}`/`{dd}` are left for the agent. Every list is
    /// sorted by name so that compiling the same inventory always gives the same state.
    /// Expects a validated inventory (from `load`); references to unknown nodes are skipped.
    public func compile() -> DesiredState {
        var state = DesiredState(defaults: defaults, alerts: alerts)
        state.sites = sites.values.sorted { $0.name < $1.name }
        state.nodes = nodes.values.sorted { $0.name < $1.name }
        for node in state.nodes {
            // The node's own interval, else its site's, else the defaults' (a metered site reports less).
            let heartbeat = node.heartbeatSeconds ?? sites[node.site]?.heartbeatSeconds ?? defaults.heartbeatSeconds
            state.assignments[node.name] = Assignment(node: node.name, site: node.site, revision: 0, heartbeatSeconds: heartbeat)
        }
        var stationsByNode: [String: [RecorderSpec]] = [:]
        for station in stations.values.sorted(by: { $0.name < $1.name }) {
            guard let node = nodes[station.node] else { continue }
            let recorder = defaults.recorder.resolved(for: station)
            state.stations.append(DesiredStation(name: station.name, node: node.name, site: node.site, recorder: recorder))
            stationsByNode[node.name, default: []].append(recorder)
            state.assignments[node.name]?.recorders.append(recorder)
        }
        for archive in archives.values.sorted(by: { $0.name < $1.name }) {
            for node in archive.nodes where nodes[node] != nil {
                let sources: [ArchiveSource]
                switch archive.source {
                case .recordings:
                    sources = (stationsByNode[node] ?? []).map { ArchiveSource(path: $0.stationDir, station: $0.station) }
                case .path(let path):
                    sources = [ArchiveSource(path: path, station: nil)]
                }
                let thumbnails = archive.thumbnails.map {
                    ThumbnailSpec(width: $0.width, height: $0.height, quality: $0.quality,
                                  target: Self.expandNode($0.target, node: node))
                }
                let job = ArchiveJobSpec(name: archive.name, sources: sources,
                                         target: Self.expandNode(archive.target, node: node),
                                         schedule: archive.schedule, keepLocalSeconds: archive.keepLocalSeconds,
                                         settleSeconds: archive.settleSeconds, thumbnails: thumbnails)
                state.assignments[node]?.archives.append(job)
            }
        }
        for backup in backups.values.sorted(by: { $0.name < $1.name }) {
            for node in backup.nodes where nodes[node] != nil {
                let job = BackupJobSpec(name: backup.name, kind: backup.kind, sourcePath: backup.sourcePath,
                                        compress: backup.compress, target: Self.expandNode(backup.target, node: node),
                                        schedule: backup.schedule, keep: backup.keep)
                state.assignments[node]?.backups.append(job)
            }
        }
        return state
    }

    static func expandNode(_ template: String, node: String) -> String {
        template.replacingOccurrences(of: "{node}", with: node)
    }
}
