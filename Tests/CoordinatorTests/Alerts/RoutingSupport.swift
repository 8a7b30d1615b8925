import Foundation
import FleetCoordinator
import FleetProtocol
import Testing

/// An inventory with one webhook receiver per name and `route` (YAML, unindented) as `alerts.route`.
func routingInventory(_ route: String, receivers: [String]) -> String {
    var lines = ["alerts:", "  receivers:"]
    for name in receivers { lines.append("    \(name): {webhook: {url: \"http://127.0.0.1:9/\(name)\"}}") }
    lines.append("  route:")
    for line in route.split(separator: "\n", omittingEmptySubsequences: false) { lines.append("    " + line) }
    return lines.joined(separator: "\n") + "\n"
}

/// The parsed root route of `routingInventory(route, receivers:)`.
func routeTree(_ route: String, receivers: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> AlertRoute {
    let inventory = try loadOne(routingInventory(route, receivers: receivers))
    return try #require(inventory.alerts?.route, sourceLocation: sourceLocation)
}

/// What a test expects of one matched route (durations in seconds).
struct ExpectedRoute: Equatable, CustomStringConvertible {
    var receiver: String
    var groupBy: [String] = []
    var groupByAll = false
    var wait = AlertRoute.defaultGroupWaitSeconds
    var interval = AlertRoute.defaultGroupIntervalSeconds
    var repeatInterval = AlertRoute.defaultRepeatIntervalSeconds

    init(_ receiver: String, groupBy: [String] = [], all: Bool = false, wait: Int = AlertRoute.defaultGroupWaitSeconds,
         interval: Int = AlertRoute.defaultGroupIntervalSeconds, repeat repeatInterval: Int = AlertRoute.defaultRepeatIntervalSeconds) {
        self.receiver = receiver
        self.groupBy = groupBy
        self.groupByAll = all
        self.wait = wait
        self.interval = interval
        self.repeatInterval = repeatInterval
    }

    init(_ options: RouteOptions) {
        self.init(options.receiver, groupBy: options.groupBy.sorted(), all: options.groupByAll, wait: options.groupWaitSeconds,
                  interval: options.groupIntervalSeconds, repeat: options.repeatIntervalSeconds)
    }

    var description: String {
        "\(receiver) groupBy=\(groupByAll ? "..." : groupBy.joined(separator: ",")) \(wait)/\(interval)/\(repeatInterval)"
    }
}

/// One routing case: an alert's labels, the routes it must reach in order and, optionally,
/// their keys in Alertmanager's `Key()` form (our keys without the `/INDEX` parts).
struct RoutingCase {
    var labels: [String: String]
    var expected: [ExpectedRoute]
    var keys: [String]? = nil
}

/// Checks every case against `tree`.
func check(_ tree: AlertRoute, _ cases: [RoutingCase], sourceLocation: SourceLocation = #_sourceLocation) {
    for item in cases {
        let matched = tree.matchingRoutes(for: item.labels)
        let got = matched.map { ExpectedRoute($0.options) }
        let expected = item.expected.map { var route = $0; route.groupBy.sort(); return route }
        #expect(got == expected, "labels \(item.labels)", sourceLocation: sourceLocation)
        if let keys = item.keys {
            #expect(matched.map { alertmanagerKey($0.key) } == keys, "keys for \(item.labels)", sourceLocation: sourceLocation)
        }
    }
}

/// Our route key without the sibling indices: Alertmanager's `Route.Key()`.
func alertmanagerKey(_ key: String) -> String {
    key.replacingOccurrences(of: #"/[0-9]+(?=/|$)"#, with: "", options: .regularExpression)
}

/// The receivers, in order, that an alert with `labels` reaches.
func receivers(_ tree: AlertRoute, _ labels: [String: String]) -> [String] {
    tree.matchingRoutes(for: labels).map(\.options.receiver)
}

/// The one diagnostic of an invalid inventory, as `FILE:LINE:COLUMN: message`; records an issue otherwise.
func onlyError(_ yaml: String, secretFiles: SecretFileCheck = .skip,
               sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        _ = try Inventory.load(files: [ApplyRequest.File(path: "fleet.yaml", content: yaml)], secretFiles: secretFiles)
        Issue.record("inventory loaded but should have failed", sourceLocation: sourceLocation)
        return ""
    } catch {
        #expect(error.diagnostics.count == 1, "\(error.diagnostics)", sourceLocation: sourceLocation)
        return error.diagnostics.first?.description ?? ""
    }
}
