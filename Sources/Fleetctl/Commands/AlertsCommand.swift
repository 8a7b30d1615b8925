import ArgumentParser
import FleetInventory
import FleetProtocol
import Foundation

/// `fleetctl alerts …`: acknowledge an alert, and see where alerts are routed.
public struct AlertsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Acknowledge alerts and inspect where alerts are routed.",
        discussion: """
        List alerts with 'fleetctl get alerts'; mute them for a while with 'fleetctl silence add'.

        Examples:
          fleetctl alerts ack 3f9a2c1e --comment "camera cable replaced tomorrow"
          fleetctl alerts routes test alertname=NodeOffline site=auklab
          fleetctl alerts routes test -f inventory/ severity=critical --verify-receivers ops,pager
          fleetctl alerts routes show
        """,
        subcommands: [AlertsAckCommand.self, AlertsRoutesCommand.self])

    public init() {}
}

/// `fleetctl alerts routes test|show`.
public struct AlertsRoutesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Test or show the alert route tree.",
        subcommands: [AlertsRoutesTestCommand.self, AlertsRoutesShowCommand.self])

    public init() {}
}

/// `fleetctl alerts routes test [-f INVENTORY…] [--verify-receivers A,B] LABEL=VALUE…`.
public struct AlertsRoutesTestCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Print the receivers an alert with these labels would reach, in order.",
        discussion: """
        Routes an alert with the given labels through the route tree as Alertmanager does \
        (like amtool config routes test) and prints the receiver of each route it reaches, \
        one per line, in order. A label not given is empty. With -f the tree comes from \
        local inventory files (credential files are not checked) and no coordinator is \
        needed; without -f the coordinator routes it through the applied inventory.

        -o json prints a list of {"key", "receiver", "groupBy", "groupWaitSeconds", \
        "groupIntervalSeconds", "repeatIntervalSeconds"} (groupBy ["..."]: all labels).

        --verify-receivers A,B exits 1 when the receivers differ from A,B (in order), \
        printing the expected and the actual list on stderr.

        Examples:
          fleetctl alerts routes test alertname=NodeOffline site=auklab
          fleetctl alerts routes test -f inventory/ severity=critical --verify-receivers ops,pager
          fleetctl alerts routes test -f inventory/ site=auklab -o json
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(name: .short, parsing: .singleValue,
            help: ArgumentHelp("Inventory file or folder (repeatable); without it, ask the coordinator.", valueName: "path"))
    public var file: [String] = []

    @Option(name: .customLong("verify-receivers"),
            help: ArgumentHelp("Expected receivers, comma-separated and in order; exit 1 when they differ.",
                               valueName: "names"))
    public var verifyReceivers: String?

    @Argument(help: ArgumentHelp("The alert's labels.", valueName: "label=value"))
    public var labels: [String] = []

    public init() {}

    public func validate() throws {
        _ = try AlertLabelArguments.parse(labels)
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let labels = try AlertLabelArguments.parse(labels)
        let results: [AlertRouteResult]
        if file.isEmpty {
            results = try await withClient(console) { client in
                try await client.call(Endpoints.alertRoutesTest, body: AlertRouteTestRequest(labels: labels))
            }
        } else {
            let route = try LocalAlertRoutes.route(files: file, console: console)
            results = route.matchingRoutes(for: labels).map(\.result)
        }
        if global.output == .table {
            for result in results { console.stdout.line(result.receiver) }
        } else {
            try printMachine(results, console)
        }
        guard let verifyReceivers else { return FleetctlExitCode.ok }
        let expected = verifyReceivers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let got = results.map(\.receiver)
        guard expected != got else { return FleetctlExitCode.ok }
        console.stderr.line("expected receivers: \(expected.joined(separator: ","))")
        console.stderr.line("got receivers:      \(got.joined(separator: ","))")
        return FleetctlExitCode.userError
    }
}

/// `fleetctl alerts routes show [-f INVENTORY…]`.
public struct AlertsRoutesShowCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the alert route tree with its effective settings.",
        discussion: """
        One line per route, children indented under their parent: the route's matchers \
        ({} for the root), then receiver, groupBy, the three intervals (inherited values \
        included) and continue when set. With -f the tree comes from local inventory \
        files; without it from the coordinator's applied inventory.

        -o json prints {"revision", "root"}, each route {"key", "matchers", "receiver", \
        "groupBy", "groupWaitSeconds", "groupIntervalSeconds", "repeatIntervalSeconds", \
        "continue", "routes"}; revision is 0 with -f.

        Examples:
          fleetctl alerts routes show
          fleetctl alerts routes show -f inventory/ -o json
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(name: .short, parsing: .singleValue,
            help: ArgumentHelp("Inventory file or folder (repeatable); without it, ask the coordinator.", valueName: "path"))
    public var file: [String] = []

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let tree: AlertRouteTreeView
        if file.isEmpty {
            tree = try await withClient(console) { client in try await client.call(Endpoints.alertRoutes) }
        } else {
            tree = AlertRouteTreeView(revision: 0, root: try LocalAlertRoutes.route(files: file, console: console).treeView())
        }
        guard global.output == .table else {
            try printMachine(tree, console)
            return FleetctlExitCode.ok
        }
        guard let root = tree.root else {
            throw FleetctlError.invalidInput("no alert route is applied: add alerts.route to the inventory")
        }
        console.stdout.write(AlertRouteTreeText.render(root))
        return FleetctlExitCode.ok
    }
}
