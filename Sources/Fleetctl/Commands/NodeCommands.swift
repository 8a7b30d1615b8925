import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl node reset|delete NAME`.
public struct NodeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Manage node credentials and stray nodes.",
        discussion: """
        Examples:
          fleetctl node reset recordingpi
          fleetctl node delete old-test-pi
        """,
        subcommands: [NodeResetCommand.self, NodeDeleteCommand.self])

    public init() {}
}

/// `fleetctl node reset NAME`.
public struct NodeResetCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Revoke a node's credential so that it can register again.",
        discussion: """
        The node's token stops working at once. The machine, or a replacement \
        (a new SD card, a new Pi), then registers again under the same name with \
        the join token and receives the node's assignment. Use it after \
        reinstalling a station or when its state directory was lost.

        Examples:
          fleetctl node reset recordingpi
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The node's name.", valueName: "name"), completion: NameCompletion.nodes)
    public var name: String

    public init() {}

    struct Outcome: Encodable {
        var node: String
        var reset: Bool
    }

    public func execute(_ console: Console) async throws -> Int32 {
        _ = try await withClient(console) { client in
            try await client.call(Endpoints.nodeReset, name)
        }
        if global.output == .table {
            console.stdout.line("node \(name) reset: it may register again")
        } else {
            try printMachine(Outcome(node: name, reset: true), console)
        }
        return FleetctlExitCode.ok
    }
}

/// `fleetctl node delete NAME`.
public struct NodeDeleteCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Remove a node that the inventory does not list.",
        discussion: """
        Removes the node's credential, liveness and last report, so it disappears from \
        `fleetctl get nodes`; its events and recordings stay as history. A node the \
        inventory lists cannot be deleted: remove it from the inventory and apply first. \
        The name may register again afterwards.

        Examples:
          fleetctl node delete old-test-pi
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The node's name.", valueName: "name"), completion: NameCompletion.nodes)
    public var name: String

    public init() {}

    struct Outcome: Encodable {
        var node: String
        var deleted: Bool
    }

    public func execute(_ console: Console) async throws -> Int32 {
        _ = try await withClient(console) { client in try await client.call(Endpoints.nodeDelete, name) }
        if global.output == .table {
            console.stdout.line("node \(name) deleted")
        } else {
            try printMachine(Outcome(node: name, deleted: true), console)
        }
        return FleetctlExitCode.ok
    }
}
