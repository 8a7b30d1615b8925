import ArgumentParser
import FleetInventory
import FleetProtocol
import Foundation

/// `LABEL=VALUE` command-line arguments of `fleetctl alerts routes test`.
enum AlertLabelArguments {
    /// The labels; a bad argument throws a `ValidationError` (one line, exit 2).
    static func parse(_ arguments: [String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw ValidationError("bad label '\(argument)': use LABEL=VALUE")
            }
            let name = String(argument[..<equals])
            guard LabelMatcher.isValidLabelName(name) else {
                throw ValidationError("bad label name '\(name)' in '\(argument)': use letters, digits and '_', not starting with a digit")
            }
            guard labels[name] == nil else { throw ValidationError("label '\(name)' is given twice") }
            var value = String(argument[argument.index(after: equals)...])
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            labels[name] = value
        }
        return labels
    }
}

/// The route tree of local inventory files (`-f`), loaded without the credential-file check.
enum LocalAlertRoutes {
    static func route(files paths: [String], console: Console) throws -> AlertRoute {
        var files: [ApplyRequest.File] = []
        for path in paths { files += try InventoryFiles.collect(path) }
        let (variables, problems) = InventoryVariables.resolve(files, environment: console.environment)
        if !problems.isEmpty {
            for problem in problems { console.stderr.line(problem.description) }
            throw FleetctlError.invalidInput(
                "invalid inventory: \(problems.count) unknown variable\(problems.count == 1 ? "" : "s")")
        }
        let inventory: Inventory
        do {
            inventory = try Inventory.load(files: files, environment: variables, secretFiles: .skip)
        } catch {
            for diagnostic in error.diagnostics { console.stderr.line(diagnostic.description) }
            let count = error.diagnostics.count
            throw FleetctlError.invalidInput("invalid inventory: \(count) error\(count == 1 ? "" : "s")")
        }
        guard let route = inventory.alerts?.route else {
            throw FleetctlError.invalidInput("the inventory has no alerts.route")
        }
        return route
    }
}

/// The indented text form of a route tree (`fleetctl alerts routes show`).
enum AlertRouteTreeText {
    static func render(_ root: AlertRouteNodeView) -> String {
        var text = ""
        func add(_ node: AlertRouteNodeView, depth: Int) {
            text += String(repeating: "  ", count: depth) + line(node) + "\n"
            for child in node.routes { add(child, depth: depth + 1) }
        }
        add(root, depth: 0)
        return text
    }

    /// `{site=~"auk.*"} receiver=auk groupBy=site groupWait=30s groupInterval=5m repeatInterval=4h
    /// mute=night,weekend active=office continue` (mute and active only when set).
    static func line(_ node: AlertRouteNodeView) -> String {
        var parts = ["{" + node.matchers.joined(separator: ",") + "}", "receiver=\(node.receiver)",
                     "groupBy=" + (node.groupBy.isEmpty ? "-" : node.groupBy.joined(separator: ",")),
                     "groupWait=\(duration(node.groupWaitSeconds))", "groupInterval=\(duration(node.groupIntervalSeconds))",
                     "repeatInterval=\(duration(node.repeatIntervalSeconds))"]
        if let mute = node.muteTimeIntervals, !mute.isEmpty { parts.append("mute=" + mute.joined(separator: ",")) }
        if let active = node.activeTimeIntervals, !active.isEmpty { parts.append("active=" + active.joined(separator: ",")) }
        if node.continue { parts.append("continue") }
        return parts.joined(separator: " ")
    }

    static func duration(_ seconds: Int) -> String { ValueSyntax.format(duration: seconds) }
}
