import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl describe node|station NAME`.
public struct DescribeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show everything known about one node or station.",
        discussion: """
        Examples:
          fleetctl describe node recordingpi
          fleetctl describe station ROST1
          fleetctl describe station ROST1 -o json
        """,
        subcommands: [DescribeNodeCommand.self, DescribeStationCommand.self])

    public init() {}
}

/// `fleetctl describe node NAME`.
public struct DescribeNodeCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Show one node: state, revisions, storage, jobs and recent events.",
        discussion: """
        Prints the node's site and state, its applied and desired revision, the age \
        of its last heartbeat, its agent version, the space on every path it uses, \
        each archive and backup job (last success and failure, backlog, when the \
        disk fills at the current rate, next run), its recent events and its current \
        alerts (omitted when the coordinator has no alerts API). \
        -o json|yaml prints the node object instead.

        Examples:
          fleetctl describe node recordingpi
          fleetctl describe node emsn-zolder -o yaml
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The node's name.", valueName: "name"), completion: NameCompletion.nodes)
    public var name: String

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let (node, alerts) = try await withClient(console) { client in
            let node = try await client.get(APIPath.node(RequestPath.segment(name)), as: NodeView.self)
            return (node, global.output == .table ? await currentAlerts(client, ("node", name)) : nil)
        }
        if global.output == .table {
            console.stdout.write(DescribeView.node(node, now: console.now()))
            if let alerts { console.stdout.write(AlertTables.section(alerts, now: console.now())) }
        } else {
            try printMachine(NodeOutput(node), console)
        }
        return FleetctlExitCode.ok
    }
}

/// `fleetctl describe station NAME`.
public struct DescribeStationCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Show one station: camera, recorder state, segments, events and commands.",
        discussion: """
        Prints the station's node, its camera as host:port/path (never credentials), \
        the recorder's state, pid and restart count, the open and newest segment, \
        the last error, recent events, recent commands such as restarts and the \
        station's current alerts (omitted when the coordinator has no alerts API). \
        -o json|yaml prints the station object instead.

        Examples:
          fleetctl describe station ROST1
          fleetctl describe station ROST2 -o json
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The station's name.", valueName: "name"), completion: NameCompletion.stations)
    public var name: String

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let (station, alerts) = try await withClient(console) { client in
            let station = try await client.get(APIPath.station(RequestPath.segment(name)), as: StationView.self)
            return (station, global.output == .table ? await currentAlerts(client, ("station", name)) : nil)
        }
        if global.output == .table {
            console.stdout.write(DescribeView.station(station, now: console.now()))
            if let alerts { console.stdout.write(AlertTables.section(alerts, now: console.now())) }
        } else {
            try printMachine(StationOutput(station), console)
        }
        return FleetctlExitCode.ok
    }
}

/// The current (firing and silenced) alerts of one node or station for `describe`; nil when
/// the call fails, e.g. against a coordinator without the alerts API, so the section is left out.
func currentAlerts(_ client: CoordinatorClient, _ filter: (String, String)) async -> [AlertView]? {
    try? await client.call(Endpoints.alerts, query: [filter])
}
