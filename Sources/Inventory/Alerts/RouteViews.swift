import FleetProtocol
import Foundation

/// Wire views of the route tree and of routing results, shared by the coordinator's
/// `/v1/alerts/routes` endpoints and `fleetctl alerts routes` with `-f`.
extension MatchedRoute {
    /// The wire form of this result.
    public var result: AlertRouteResult {
        AlertRouteResult(key: key, receiver: options.receiver,
                         groupBy: options.groupByAll ? [AlertRoute.groupByAllMarker] : options.groupBy,
                         groupWaitSeconds: options.groupWaitSeconds, groupIntervalSeconds: options.groupIntervalSeconds,
                         repeatIntervalSeconds: options.repeatIntervalSeconds,
                         muteTimeIntervals: options.muteTimeIntervals.nilIfEmpty,
                         activeTimeIntervals: options.activeTimeIntervals.nilIfEmpty)
    }
}

extension AlertRoute {
    /// This route (call on the root) and its children with inherited settings, as on the wire.
    public func treeView() -> AlertRouteNodeView {
        treeView(parent: nil, parentKey: nil, index: 0)
    }

    private func treeView(parent: RouteOptions?, parentKey: String?, index: Int) -> AlertRouteNodeView {
        let options = effectiveOptions(parent: parent)
        let key = routeKey(parentKey: parentKey, index: index)
        return AlertRouteNodeView(
            key: key, matchers: matchers.map(\.description), receiver: options.receiver,
            groupBy: options.groupByAll ? [Self.groupByAllMarker] : options.groupBy,
            groupWaitSeconds: options.groupWaitSeconds, groupIntervalSeconds: options.groupIntervalSeconds,
            repeatIntervalSeconds: options.repeatIntervalSeconds, continue: continueMatching,
            routes: routes.enumerated().map { $1.treeView(parent: options, parentKey: key, index: $0) },
            muteTimeIntervals: muteTimeIntervals.nilIfEmpty, activeTimeIntervals: activeTimeIntervals.nilIfEmpty)
    }

    /// Every route of the tree, depth-first (as Alertmanager's `Walk`), with inherited settings.
    public func walk() -> [AlertRouteNodeView] {
        func flatten(_ node: AlertRouteNodeView) -> [AlertRouteNodeView] { [node] + node.routes.flatMap(flatten) }
        return flatten(treeView())
    }
}

extension Array {
    /// Nil for an empty array: optional wire fields are left out rather than sent as `[]`.
    fileprivate var nilIfEmpty: [Element]? { isEmpty ? nil : self }
}
