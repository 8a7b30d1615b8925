import ArgumentParser

/// Lets the global options (`--coordinator`, `--token-file`, `--ca-file`, `-o`/`--output`,
/// `--timeout`) come before the subcommand, as with kubectl:
/// `fleetctl --coordinator URL -o json get nodes` is read as `fleetctl get nodes --coordinator URL -o json`.
///
/// Only recognised global options at the very front are moved; they are inserted right after
/// the (leaf) subcommand, so the same option given again later on the line still wins.
/// Anything else before the subcommand is left where it is for the parser to report.
public enum ArgumentOrder {
    /// Global options that take a value.
    static let valueOptions: Set<String> = ["--coordinator", "--token-file", "--ca-file", "-o", "--output", "--timeout"]

    public static func normalize(_ arguments: [String], root: any ParsableCommand.Type = FleetctlRoot.self) -> [String] {
        var globals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if valueOptions.contains(argument), index + 1 < arguments.count {
                globals += [argument, arguments[index + 1]]
                index += 2
            } else if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "="),
                      valueOptions.contains(String(argument[..<equals])) {
                globals.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !globals.isEmpty, index < arguments.count, !arguments[index].hasPrefix("-") else { return arguments }
        // Walk down the subcommand path: `node reset`, `restart recorder`, `describe station`.
        var command = root
        var end = index
        while end < arguments.count,
              let next = command.configuration.subcommands.first(where: { $0.configuration.commandName == arguments[end] }) {
            command = next
            end += 1
            if next.configuration.subcommands.isEmpty { break }
        }
        if end == index { end += 1 } // unknown command: keep it first so that the parser names it
        return Array(arguments[index..<end]) + globals + Array(arguments[end...])
    }

    /// `fleetctl snapshot ROST1 -o rost1.jpg`: for `snapshot`, an `-o`/`--output` value that is
    /// not an output format (table, json, yaml) names the picture's file, as `-f FILE` does.
    public static func snapshotFile(_ arguments: [String]) -> [String] {
        // After ``normalize(_:root:)``: the command comes first.
        guard arguments.first == "snapshot" else { return arguments }
        let formats = Set(OutputFormat.allCases.map(\.rawValue))
        var out: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "-o" || argument == "--output", index + 1 < arguments.count,
               !formats.contains(arguments[index + 1]) {
                out += ["-f", arguments[index + 1]]
                index += 2
                continue
            }
            if argument.hasPrefix("--output="), !formats.contains(String(argument.dropFirst("--output=".count))) {
                out += ["-f", String(argument.dropFirst("--output=".count))]
            } else {
                out.append(argument)
            }
            index += 1
        }
        return out
    }

    /// `fleetctl help X Y` where `X Y` is not a command: the unknown word, else `nil`.
    public static func unknownHelpTopic(_ arguments: [String], root: any ParsableCommand.Type = FleetctlRoot.self) -> String? {
        guard arguments.first == "help" else { return nil }
        var command = root
        for word in arguments.dropFirst() where !word.hasPrefix("-") {
            guard let next = command.configuration.subcommands.first(where: { $0.configuration.commandName == word }) else {
                return word
            }
            command = next
        }
        return nil
    }
}
