import ArgumentParser
import FleetProtocol
import Foundation

/// A man page (roff, section 1) made from the command tree's help: NAME from the root's
/// abstract, DESCRIPTION its `--help` screen, then one subsection per command with its `--help`
/// screen, so the manual never says something the help does not.
public enum ManualPage {
    public static func render(root: any ParsableCommand.Type) -> String {
        let configuration = root.configuration
        let name = configuration.commandName ?? "fleetctl"
        var page = """
            .TH \(name.uppercased()) 1 "" "StationFleet \(escape(FleetVersion.current))" "StationFleet Manual"
            .SH NAME
            \(escape(name)) \\- \(escape(configuration.abstract))
            .SH SYNOPSIS
            .B \(escape(name))
            \\fICOMMAND\\fR [\\fIOPTIONS\\fR]
            .SH DESCRIPTION

            """
        page += preformatted(root.helpMessage(for: root, includeHidden: false, columns: 78))
        page += ".SH COMMANDS\n"
        for (path, command) in leaves(of: root, path: [name]) {
            page += ".SS \"\(escape(path.joined(separator: " ")))\"\n"
            page += preformatted(root.helpMessage(for: command, includeHidden: false, columns: 78))
        }
        page += ".SH FILES\n.TP\n.I $XDG_CACHE_HOME/stationfleet/names.json\nNames for shell completion (see \\fBfleetctl completion\\fR).\n"
        page += ".SH SEE ALSO\n.BR fleet-coordinator (1),\n.BR fleet-agent (1)\n"
        return page
    }

    /// Every command without subcommands, depth first, with its words after the root.
    static func leaves(of command: any ParsableCommand.Type, path: [String]) -> [([String], any ParsableCommand.Type)] {
        let subcommands = command.configuration.subcommands
        if subcommands.isEmpty { return [(path, command)] }
        return subcommands.flatMap { sub in
            leaves(of: sub, path: path + [sub.configuration.commandName ?? "\(sub)"])
        }
    }

    /// Text kept as it is (no filling), each line safe for roff.
    static func preformatted(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }
        return ".nf\n" + lines.joined(separator: "\n") + "\n.fi\n"
    }

    /// Backslashes as `\e`, a zero-width `\&` before a leading `.` or `'` (a roff request
    /// otherwise), and every non-ASCII character as `\[uXXXX]` (troff reads Latin-1 bytes).
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                out += "\\e"
            } else if scalar.isASCII {
                out.unicodeScalars.append(scalar)
            } else {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\[u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
            }
        }
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }
}
