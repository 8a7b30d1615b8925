import ArgumentParser
import FleetProtocol
import Foundation

/// The resource kinds `get` lists. Singular forms are accepted too.
public enum ResourceKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    case nodes, stations, sites, assignments, alerts, notifications
    case agentBuilds = "agent-builds"
    case coordinators

    public init?(argument: String) {
        switch argument.lowercased() {
        case "nodes", "node", "no": self = .nodes
        case "stations", "station", "st": self = .stations
        case "sites", "site": self = .sites
        case "assignments", "assignment": self = .assignments
        case "alerts", "alert": self = .alerts
        case "notifications", "notification": self = .notifications
        case "agent-builds", "agent-build": self = .agentBuilds
        case "coordinators", "coordinator": self = .coordinators
        default: return nil
        }
    }

    /// The singular, as in `not found: node x`.
    var singular: String { String(rawValue.dropLast()) }
}

/// `get alerts --state`: one of ``AlertView/State``.
public enum AlertStateFilter: String, CaseIterable, ExpressibleByArgument, Sendable {
    case firing, silenced, resolved
}

/// `fleetctl get nodes|stations|sites|assignments [NAME]`, `get alerts [--state S] [--node N]
/// [--station S]` and `get notifications [--failed]`.
public struct GetCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "List nodes, stations, sites, assignments, alerts, notifications, agent builds or coordinators.",
        discussion: """
        Prints one row per item; with NAME only that item (for assignments, NAME is \
        a node). Tables:
          nodes          NAME SITE STATE LAST-HEARTBEAT REVISION DISK VERSION
          stations       NAME NODE STATE RESTARTS SEGMENT NEWEST-AGE COVERAGE-24H
          sites          NAME NODES ONLINE LABELS
          assignments    NODE REVISION RECORDERS ARCHIVES BACKUPS
          alerts         ID ALERTNAME SEVERITY STATE SITE NODE TARGET AGE SUMMARY
          notifications  ID RECEIVER STATUS ALERTS STATE ATTEMPTS AGE LAST-ERROR
          agent-builds   VERSION ARCH SIZE SHA256 SIGNED PUBLISHED WANTED-BY
          coordinators   NAME/ID VERSION URL LAST SEEN LEADER
        A node's REVISION is applied/desired; for agent-builds, NAME is a version; \
        for coordinators, NAME is a host name or the start of an instance id.

        Coordinators are the `fleet-coordinator serve` instances sharing the store, \
        most recently seen first; LEADER marks the one holding the leader lease \
        (the only one evaluating alerts, sending notifications, pruning history and \
        driving rollouts) with the lease's term.

        Alerts are those the coordinator's rules raised, firing and silenced ones by \
        default; --state firing|silenced|resolved picks one state, --node and --station \
        keep one node's or station's. ID is the first 8 characters of the alert's \
        fingerprint (what `fleetctl alerts ack` takes); STATE shows "(acked)" once \
        acknowledged; TARGET is the alert's station or job. Notifications are the \
        outbox of messages to receivers, newest first; --failed lists only those \
        that gave up.

        -o json prints a JSON array (also for a single NAME) with camelCase keys; \
        -o yaml the same as YAML. Passwords are never part of the output.

        Examples:
          fleetctl get nodes
          fleetctl get stations ROST1
          fleetctl get nodes -o json
          fleetctl get assignments recordingpi -o yaml
          fleetctl get alerts
          fleetctl get alerts --state resolved --station ROST1
          fleetctl get alerts --node recordingpi -o json
          fleetctl get notifications --failed
          fleetctl get coordinators
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("What to list: nodes, stations, sites, assignments, alerts, notifications, agent-builds or coordinators.",
                                 valueName: "kind"))
    public var kind: ResourceKind

    @Argument(help: ArgumentHelp("Only this item.", valueName: "name"))
    public var name: String?

    @Option(help: ArgumentHelp("alerts: only this state (firing, silenced or resolved).", valueName: "state"))
    public var state: AlertStateFilter?

    @Option(help: ArgumentHelp("alerts: only this node's.", valueName: "node"))
    public var node: String?

    @Option(help: ArgumentHelp("alerts: only this station's.", valueName: "station"))
    public var station: String?

    @Flag(help: "notifications: only those that gave up.")
    public var failed = false

    public init() {}

    public func validate() throws {
        switch kind {
        case .alerts, .notifications:
            if let name {
                let hint = kind == .alerts ? "; use --node or --station" : ""
                throw ValidationError("get \(kind.rawValue) takes no NAME (\(name))\(hint)")
            }
        default:
            break
        }
        if kind != .alerts, state != nil || node != nil || station != nil {
            throw ValidationError("--state, --node and --station apply to get alerts only")
        }
        if kind != .notifications, failed {
            throw ValidationError("--failed applies to get notifications only")
        }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        try await withClient(console) { client in
            switch kind {
            case .nodes:
                let items: [NodeView] = try await fetch(client, list: APIPath.nodes, one: APIPath.node)
                if name == nil { NameCompletion.remember(.nodes, items.map(\.name), environment: console.environment) }
                try show(items, console, table: ResourceTables.nodes, machine: items.map(NodeOutput.init))
            case .stations:
                let items: [StationView] = try await fetch(client, list: APIPath.stations, one: APIPath.station)
                if name == nil { NameCompletion.remember(.stations, items.map(\.name), environment: console.environment) }
                let coverage = await coverage24h(client, now: console.now())
                try show(items, console, table: { ResourceTables.stations($0, coverage24h: coverage) },
                         machine: items.map { StationOutput($0, coverage24hPercent: coverage[$0.name]) })
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
            case .alerts:
                let items = try await client.call(Endpoints.alerts, query: alertQuery)
                try show(items, console, table: { AlertTables.alerts($0, now: console.now()) }, machine: items)
            case .notifications:
                let items = try await client.call(Endpoints.notifications, query: failed ? [("failed", "true")] : [])
                try show(items, console, table: { AlertTables.notifications($0, now: console.now()) }, machine: items)
            case .coordinators:
                let items = try await client.call(Endpoints.coordinators).filter { coordinator in
                    name.map { coordinator.hostname == $0 || coordinator.id.hasPrefix($0.lowercased()) } ?? true
                }
                if let name, items.isEmpty {
                    throw FleetctlError.rejected(status: 404, code: ErrorCode.notFound, message: "coordinator \(name)", details: [])
                }
                try show(items, console, table: { ResourceTables.coordinators($0, now: console.now()) }, machine: items)
            case .agentBuilds:
                let items = try await client.call(Endpoints.agentBuilds).filter { name == nil || $0.build.version == name }
                try show(items, console, table: { ResourceTables.agentBuilds($0, now: console.now()) }, machine: items)
            }
        }
        return FleetctlExitCode.ok
    }

    /// Each station's recorded share of the last 24 hours; empty when the coordinator cannot
    /// say (an older coordinator without `/v1/coverage`): the column then shows `-`.
    private func coverage24h(_ client: CoordinatorClient, now: Date) async -> [String: Double] {
        let query = [("from", Formatting.time(now.addingTimeInterval(-86_400))), ("to", Formatting.time(now))]
        guard let views = try? await client.call(Endpoints.coverage, query: query) else { return [:] }
        return Dictionary(views.compactMap { view in view.percent.map { (view.station, $0) } }, uniquingKeysWith: { first, _ in first })
    }

    /// The query of `GET /v1/alerts` from --state, --node and --station.
    var alertQuery: [(String, String)] {
        var query: [(String, String)] = []
        if let state { query.append(("state", state.rawValue)) }
        if let node { query.append(("node", node)) }
        if let station { query.append(("station", station)) }
        return query
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
