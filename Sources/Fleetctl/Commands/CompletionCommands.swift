import ArgumentParser
import FleetProtocol
import Foundation

/// A `fleetctl` command that needs no coordinator: it writes to the injected ``Console``.
public protocol FleetctlLocalCommand: ParsableCommand {
    func execute(_ console: Console) throws -> Int32
}

/// `fleetctl completion bash|zsh|fish`.
public struct CompletionCommand: FleetctlLocalCommand {
    public static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
        Commands, subcommands and options complete from fleetctl itself; station and node \
        names complete from the names the last `fleetctl get stations` / `get nodes` \
        listed (kept in $XDG_CACHE_HOME/stationfleet/names.json, default ~/.cache/…), \
        so pressing TAB never waits on the coordinator.

        Install:
          bash: fleetctl completion bash | sudo tee /etc/bash_completion.d/fleetctl >/dev/null
                (or for yourself: echo 'source <(fleetctl completion bash)' >> ~/.bashrc)
          zsh:  fleetctl completion zsh > "${fpath[1]}/_fleetctl"
          fish: fleetctl completion fish > ~/.config/fish/completions/fleetctl.fish
        """)

    public enum Shell: String, ExpressibleByArgument, CaseIterable, Sendable { case bash, zsh, fish }

    @Argument(help: ArgumentHelp("bash, zsh or fish.", valueName: "shell"))
    public var shell: Shell

    public init() {}

    public func execute(_ console: Console) throws -> Int32 {
        let target: CompletionShell
        switch shell {
        case .bash: target = .bash
        case .zsh: target = .zsh
        case .fish: target = .fish
        }
        var script = FleetctlRoot.completionScript(for: target)
        if !script.hasSuffix("\n") { script += "\n" }
        console.stdout.write(script)
        return FleetctlExitCode.ok
    }
}

/// `fleetctl manual`: the man page, written from the same help text as `--help`.
public struct ManualCommand: FleetctlLocalCommand {
    public static let configuration = CommandConfiguration(
        commandName: "manual",
        abstract: "Print fleetctl's man page (roff), made from the commands' help.",
        discussion: """
        Install:
          fleetctl manual | sudo tee /usr/local/share/man/man1/fleetctl.1 >/dev/null
          man fleetctl
        Or read it once: fleetctl manual | man -l -
        """)

    public init() {}

    public func execute(_ console: Console) throws -> Int32 {
        console.stdout.write(ManualPage.render(root: FleetctlRoot.self))
        return FleetctlExitCode.ok
    }
}
