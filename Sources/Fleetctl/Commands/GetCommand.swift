import ArgumentParser
import FleetProtocol
import Foundation

/// The resource kinds `get` lists. Singular forms are accepted too.
public enum ResourceKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    case nodes, stations, sites, assignments

    public init?(argument: String) {
        switch argument.lowercased() {
        case "nodes", "node", "no": self = .nodes
        case "stations", "station", "st": self = .stations
        case "sites", "site": self = .sites
        case "assignments", "assignment": self = .assignments
        default: return nil
        }
    }

    /// The singular, as in `not found: node x`.
    var singular: String { String(rawValue.dropLast()) }
}

/// `fleetctl get nodes|stations|sites|assignments [NAME]`.
public struct GetCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "List nodes, stations, sites or assignments.",
        discussion: """
        Prints one row per item; with NAME only that item (for assignments, NAME is \
        a node). Tables:
          nodes        NAME SITE STATE LAST-HEARTBEAT REVISION DISK VERSION
          stations     NAME NODE STATE RESTARTS SEGMENT NEWEST-AGE
          sites        NAME NODES ONLINE LABELS
          assignments  NODE REVISION RECORDERS ARCHIVES BACKUPS
        A node's REVISION is applied/desired.

        -o json prints a JSON array (also for a single NAME) with camelCase keys; \
        -o yaml the same as YAML. Passwords are never part of the output.

        Examples:
          fleetctl get nodes
          fleetctl get stations ROST1
          fleetctl get nodes -o json
          fleetctl get assignments recordingpi -o yaml
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("What to list: nodes, stations, sites or assignments.", valueName: "kind"))
    public var kind: ResourceKind

    @Argument(help: ArgumentHelp("Only this item.", valueName: "name"))
    public var name: String?

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        try await withClient(console) { client in
            switch kind {
            case .nodes:
                let items: [NodeView] = try await fetch(client, list: APIPath.nodes, one: APIPath.node)
                try show(items, console, table: ResourceTables.nodes, machine: items.map(NodeOutput.init))
            case .stations:
                let items: [StationView] = try await fetch(client, list: APIPath.stations, one: APIPath.station)
                try show(items, console, table: ResourceTables.stations, machine: items.map(StationOutput.init))
            case .sites:
                // There is no single-site endpoint: filter the list.
                var items = try await client.getList(APIPath.sites, of: SiteView.self)
                if let name {
                    items = items.filter { $0.name == name }
                    guard !items.isEmpty else {
                        throw FleetctlError.rejected(status: 404, code: ErrorCode.notFound, message: "site \(name)", details: [])
                    }
                }
                try show(items, console, table: ResourceTables.sites, machine: items)
            case .assignments:
                let items: [Assignment] = try await fetch(client, list: APIPath.assignments, one: APIPath.assignment)
                try show(items, console, table: ResourceTables.assignments, machine: items)
            }
        }
        return FleetctlExitCode.ok
    }

    private func fetch<T: Decodable & Sendable>(_ client: CoordinatorClient, list: String, one: (String) -> String) async throws -> [T] {
        if let name {
            return [try await client.get(one(RequestPath.segment(name)), as: T.self)]
        }
        return try await client.getList(list, of: T.self)
    }

    private func show<T, M: Encodable>(_ items: [T], _ console: Console, table: ([T]) -> String, machine: [M]) throws {
        switch global.output {
        case .table:
            if items.isEmpty {
                console.stderr.line("No \(kind.rawValue) found.")
            } else {
                console.stdout.write(table(items))
            }
        case .json, .yaml:
            try printMachine(machine, console)
        }
    }
}
