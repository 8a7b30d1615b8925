import Foundation
import FleetProtocol

/// The fleet as it should be, compiled from an inventory: what the coordinator stores
/// (as JSON) and serves. Assignments carry `revision: 0`; the coordinator stamps revisions.
public struct DesiredState: Codable, Sendable, Equatable {
    public var sites: [SiteConfig]
    public var nodes: [NodeConfig]
    public var stations: [DesiredStation]
    /// One per node in the inventory, keyed by node name; empty when nothing is assigned.
    public var assignments: [String: Assignment]
    public var defaults: InventoryDefaults
    public var alerts: AlertsConfig?

    public init(sites: [SiteConfig] = [], nodes: [NodeConfig] = [], stations: [DesiredStation] = [],
                assignments: [String: Assignment] = [:], defaults: InventoryDefaults = InventoryDefaults(),
                alerts: AlertsConfig? = nil) {
        self.sites = sites
        self.nodes = nodes
        self.stations = stations
        self.assignments = assignments
        self.defaults = defaults
        self.alerts = alerts
    }

    /// Every object of the fleet as `kind/name` (`site/auklab`, `node/recordingpi`,
    /// `station/ROST1`, `archive/video-to-nas`, `backup/birdnet-db`, `receiver/ops-email`,
    /// `timeInterval/night`, `alerts/route`, `alerts/thresholds`, `defaults/defaults`) mapped to a canonical
    /// fingerprint of its resolved value (sorted-key JSON). Equal fingerprints mean unchanged.
    public var objects: [String: String] {
        var objects: [String: String] = [:]
        for site in sites { objects["site/\(site.name)"] = Self.fingerprint(site) }
        for node in nodes { objects["node/\(node.name)"] = Self.fingerprint(node) }
        for station in stations { objects["station/\(station.name)"] = Self.fingerprint(station) }
        // A job's resolved value is its compiled spec on every node that runs it.
        var archives: [String: [String: ArchiveJobSpec]] = [:]
        var backups: [String: [String: BackupJobSpec]] = [:]
        for (node, assignment) in assignments {
            for archive in assignment.archives { archives[archive.name, default: [:]][node] = archive }
            for backup in assignment.backups { backups[backup.name, default: [:]][node] = backup }
        }
        for (name, perNode) in archives { objects["archive/\(name)"] = Self.fingerprint(perNode) }
        for (name, perNode) in backups { objects["backup/\(name)"] = Self.fingerprint(perNode) }
        if let alerts {
            for (name, receiver) in alerts.receivers { objects["receiver/\(name)"] = Self.fingerprint(receiver) }
            if let route = alerts.route { objects["alerts/route"] = Self.fingerprint(route) }
            objects["alerts/thresholds"] = Self.fingerprint(alerts.thresholds)
            for (name, interval) in alerts.timeIntervals { objects["timeInterval/\(name)"] = Self.fingerprint(interval) }
        }
        objects["defaults/defaults"] = Self.fingerprint(defaults)
        return objects
    }

    /// The `kind/name` keys of `objects`, sorted.
    public var objectNames: [String] { objects.keys.sorted() }

    /// What applying `new` over `old` creates, changes, deletes and leaves alone, by `kind/name`,
    /// each list sorted. With `old == nil` everything is created.
    public static func diff(old: DesiredState?, new: DesiredState)
        -> (created: [String], changed: [String], deleted: [String], unchanged: [String]) {
        let before = old?.objects ?? [:]
        let after = new.objects
        var created: [String] = []
        var changed: [String] = []
        var unchanged: [String] = []
        for (name, fingerprint) in after {
            switch before[name] {
            case nil: created.append(name)
            case fingerprint?: unchanged.append(name)
            default: changed.append(name)
            }
        }
        let deleted = before.keys.filter { after[$0] == nil }
        return (created.sorted(), changed.sorted(), deleted.sorted(), unchanged.sorted())
    }

    /// Names of the nodes whose assignment differs between `old` and `new` (ignoring
    /// revision), including nodes added or removed; sorted. The coordinator bumps these.
    public static func changedAssignments(old: DesiredState?, new: DesiredState) -> [String] {
        let before = old?.assignments ?? [:]
        var names = Set(before.keys).union(new.assignments.keys)
        names = names.filter { name in
            guard var a = before[name], var b = new.assignments[name] else { return true }
            a.revision = 0
            b.revision = 0
            return a != b
        }
        return names.sorted()
    }

    /// Sorted-key JSON of `value`; stable across runs and machines.
    static func fingerprint<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            return String(describing: value)
        }
        return text
    }
}

/// A station with its node, site and fully resolved recorder.
public struct DesiredStation: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var node: String
    public var site: String
    public var recorder: RecorderSpec

    public init(name: String, node: String, site: String, recorder: RecorderSpec) {
        self.name = name
        self.node = node
        self.site = site
        self.recorder = recorder
    }
}
