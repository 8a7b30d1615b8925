import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl rollout status [--watch] [-o json|yaml]`.
public struct RolloutStatusCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the current staged rollout: what it waits for, and each node's state and reason.",
        discussion: """
        The first line says what the rollout waits for ("waiting for promotion", "batch \
        2/5: waiting for 3 nodes to be healthy for 2m", "paused: canary pi1 failed: \
        recorder ROST1 restarted"). Then one row per participating node: NODE SITE BATCH \
        STATE REASON REV DETAIL, where STATE is pending, updating, healthy, failed, \
        reverted or waiting-offline and REV the revision the node is served now. --watch \
        prints the status again whenever it changes until the rollout ends (succeeded, \
        failed, reverted, revert-failed or aborted), with a progress bar of the nodes \
        healthy on the new revision (redrawn in place on a terminal, a plain line at each \
        tenth otherwise). -o json prints GET /v1/rollout's answer.

        Examples:
          fleetctl rollout status
          fleetctl rollout status --watch
          fleetctl rollout status -o json
        """)

    @OptionGroup public var global: GlobalOptions

    @Flag(name: .customLong("watch"), help: "Print the status again whenever it changes, until the rollout ends.")
    public var watch = false

    /// Seconds between polls with --watch.
    @Option(name: .customLong("interval"), help: ArgumentHelp("Seconds between polls with --watch.", visibility: .hidden))
    public var interval: Double = 2

    public init() {}

    static let finished: Set<String> = ["succeeded", "failed", "reverted", "revert-failed", "aborted"]

    public func execute(_ console: Console) async throws -> Int32 {
        var last: RolloutStatusResponse?
        let display = watch && global.output == .table
            ? ProgressDisplay(output: console.stdout, width: ProgressDisplay.width(environment: console.environment)) : nil
        while true {
            let status = try await withClient(console) { client in try await client.call(Endpoints.rollout) }
            if status != last {
                if global.output == .table {
                    display?.clearLine()
                    console.stdout.write(Self.render(status.rollout))
                } else {
                    try printMachine(status, console)
                }
                last = status
            }
            if let display, let rollout = status.rollout, let bar = Self.progressBar(rollout) {
                let key = "revision \(rollout.revision)"
                display.show(key, bar, now: console.now())
                if Self.finished.contains(rollout.state) { display.finish(key, succeeded: rollout.state == "succeeded") }
            }
            guard watch, let rollout = status.rollout, !Self.finished.contains(rollout.state) else { break }
            try await Task.sleep(for: .milliseconds(Int(max(0.05, interval) * 1_000)))
        }
        return FleetctlExitCode.ok
    }

    /// `revision 7 [████░░░░]  40%  4 of 10 nodes`: the nodes healthy on the new revision of all
    /// taking part; nil when none takes part.
    static func progressBar(_ rollout: RolloutStatusView) -> ProgressBar? {
        guard !rollout.nodes.isEmpty else { return nil }
        let healthy = rollout.nodes.filter { $0.state == "healthy" }.count
        return ProgressBar(label: "revision \(rollout.revision)", fraction: Double(healthy) / Double(rollout.nodes.count),
                           done: UInt64(healthy), total: UInt64(rollout.nodes.count), unit: .items("nodes"))
    }

    /// The status line, then the node table.
    static func render(_ rollout: RolloutStatusView?) -> String {
        guard let rollout else { return "no rollout: the inventory has no rollout: block, every change reaches its nodes at once\n" }
        var text = "revision \(rollout.revision) \(rollout.state): \(rollout.status)\n"
        guard !rollout.nodes.isEmpty else { return text + "no node's assignment changed\n" }
        var table = TextTable(header: ["NODE", "SITE", "BATCH", "STATE", "REASON", "REV", "DETAIL"])
        for node in rollout.nodes {
            table.rows.append([node.name, node.site, node.canary ? "canary" : String(node.batch + (rollout.hasCanary ? 0 : 1)),
                               node.state, node.reason, String(node.servedRevision), node.detail ?? "-"])
        }
        text += table.render()
        return text
    }
}

/// `fleetctl rollout pause|resume|promote|abort`: the shared request and output.
enum RolloutActionCommand {
    static func run(_ action: RolloutAction, global: GlobalOptions, command: some FleetctlRunnable,
                    console: Console) async throws -> Int32 {
        let view = try await command.withClient(console) { client in
            try await client.call(Endpoints.rolloutControl, action.rawValue)
        }
        if global.output == .table {
            console.stdout.line("revision \(view.revision) \(view.state): \(view.status)")
        } else {
            try command.printMachine(view, console)
        }
        return FleetctlExitCode.ok
    }
}

/// `fleetctl rollout pause`.
public struct RolloutPauseCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Pause the current rollout: no further node is released.",
        discussion: "Nodes already released keep their revision. Example:\n  fleetctl rollout pause")
    @OptionGroup public var global: GlobalOptions
    public init() {}
    public func execute(_ console: Console) async throws -> Int32 {
        try await RolloutActionCommand.run(.pause, global: global, command: self, console: console)
    }
}

/// `fleetctl rollout resume`.
public struct RolloutResumeCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume a paused rollout (failed nodes of the current batch are tried again).",
        discussion: "The progress deadline starts again. Example:\n  fleetctl rollout resume")
    @OptionGroup public var global: GlobalOptions
    public init() {}
    public func execute(_ console: Console) async throws -> Int32 {
        try await RolloutActionCommand.run(.resume, global: global, command: self, console: console)
    }
}

/// `fleetctl rollout promote`.
public struct RolloutPromoteCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Go on after healthy canaries (a rollout waiting for promotion).",
        discussion: "Example:\n  fleetctl rollout promote")
    @OptionGroup public var global: GlobalOptions
    public init() {}
    public func execute(_ console: Console) async throws -> Int32 {
        try await RolloutActionCommand.run(.promote, global: global, command: self, console: console)
    }
}

/// `fleetctl rollout abort`.
public struct RolloutAbortCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "abort", abstract: "Stop the rollout where it is.",
        discussion: """
        Released nodes keep the new revision; the others keep what they had (a node \
        waiting offline gets its last good assignment). Apply again or undo to go on. Example:
          fleetctl rollout abort
        """)
    @OptionGroup public var global: GlobalOptions
    public init() {}
    public func execute(_ console: Console) async throws -> Int32 {
        try await RolloutActionCommand.run(.abort, global: global, command: self, console: console)
    }
}
