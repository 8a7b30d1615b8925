import FleetProtocol
import Foundation

/// The `get` tables, one per resource kind.
public enum ResourceTables {
    /// `NAME SITE STATE LAST-HEARTBEAT REVISION DISK VERSION`; REVISION is `applied/desired`.
    public static func nodes(_ nodes: [NodeView]) -> String {
        var table = TextTable(header: ["NAME", "SITE", "STATE", "LAST-HEARTBEAT", "REVISION", "DISK", "VERSION"])
        for node in nodes {
            table.rows.append([
                node.name, node.site, node.state.rawValue,
                Formatting.age(node.lastHeartbeatAgeSeconds),
                "\(node.appliedRevision)/\(node.desiredRevision)",
                Formatting.percent(node.diskUsedPercent),
                node.agentVersion ?? "-",
            ])
        }
        return table.render()
    }

    /// `NAME NODE STATE RESTARTS SEGMENT NEWEST-AGE COVERAGE-24H`; SEGMENT is the open segment
    /// with its size, COVERAGE-24H the recorded share of the last 24 hours (`-` when unknown).
    public static func stations(_ stations: [StationView], coverage24h: [String: Double] = [:]) -> String {
        var table = TextTable(header: ["NAME", "NODE", "STATE", "RESTARTS", "SEGMENT", "NEWEST-AGE", "COVERAGE-24H"])
        for station in stations {
            table.rows.append([
                station.name, station.node, station.state.rawValue, String(station.restarts),
                segment(station.currentSegment, bytes: station.currentSegmentBytes),
                Formatting.age(station.newestSegmentAgeSeconds),
                coverage(coverage24h[station.name]),
            ])
        }
        return table.render()
    }

    /// `99.9%` with one decimal (a whole percent hides a day's 10-minute gap: 99.3%), `-` when unknown.
    static func coverage(_ percent: Double?) -> String {
        guard let percent, percent.isFinite else { return "-" }
        return String(format: "%.1f%%", percent)
    }

    /// `NAME NODES ONLINE LABELS`; NODES is the number of nodes, LABELS `key=value,…`.
    public static func sites(_ sites: [SiteView]) -> String {
        var table = TextTable(header: ["NAME", "NODES", "ONLINE", "LABELS"])
        for site in sites {
            table.rows.append([site.name, String(site.nodes.count), String(site.online), labels(site.labels)])
        }
        return table.render()
    }

    /// `NODE REVISION RECORDERS ARCHIVES BACKUPS`; the last three list names.
    public static func assignments(_ assignments: [Assignment]) -> String {
        var table = TextTable(header: ["NODE", "REVISION", "RECORDERS", "ARCHIVES", "BACKUPS"])
        for assignment in assignments {
            table.rows.append([
                assignment.node, String(assignment.revision),
                names(assignment.recorders.map(\.station)),
                names(assignment.archives.map(\.name)),
                names(assignment.backups.map(\.name)),
            ])
        }
        return table.render()
    }

    /// `NAME/ID VERSION URL LAST SEEN LEADER`: NAME/ID is the host name and the first 8
    /// characters of the instance id; LEADER is `yes (term N)` for the lease holder.
    public static func coordinators(_ coordinators: [CoordinatorView], now: Date) -> String {
        var table = TextTable(header: ["NAME/ID", "VERSION", "URL", "LAST SEEN", "LEADER"])
        for coordinator in coordinators {
            table.rows.append([
                "\(coordinator.hostname)/\(coordinator.id.prefix(8))", coordinator.version, coordinator.url,
                "\(Formatting.age(now.timeIntervalSince(coordinator.lastSeen))) ago",
                coordinator.leader ? "yes (term \(coordinator.term.map(String.init) ?? "?"))" : "-",
            ])
        }
        return table.render()
    }

    static func segment(_ name: String?, bytes: UInt64?) -> String {
        guard let name else { return "-" }
        guard let bytes else { return name }
        return "\(name) (\(Formatting.bytes(bytes)))"
    }

    static func labels(_ labels: [String: String]) -> String {
        labels.isEmpty ? "-" : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static func names(_ names: [String]) -> String {
        names.isEmpty ? "-" : names.joined(separator: ",")
    }
}
