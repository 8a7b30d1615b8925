import FoundationEssentials

/// `POST /v1/alerts/routes/test`: the labels of a hypothetical alert.
///
/// ```swift
/// let request = AlertRouteTestRequest(labels: ["alertname": "NodeOffline", "site": "auklab"])
/// ```
public struct AlertRouteTestRequest: Codable, Sendable, Equatable {
    public var labels: [String: String]

    public init(labels: [String: String]) {
        self.labels = labels
    }
}

/// One route an alert reaches, with inheritance applied (durations in seconds).
/// `POST /v1/alerts/routes/test` answers with these in routing order.
public struct AlertRouteResult: Codable, Sendable, Equatable {
    /// The route's key: `{}` for the root, then `/{matchers}/INDEX` per level.
    public var key: String
    public var receiver: String
    /// Label names that group alerts; `["..."]` when every label groups.
    public var groupBy: [String]
    public var groupWaitSeconds: Int
    public var groupIntervalSeconds: Int
    public var repeatIntervalSeconds: Int
    /// Names of the route's `muteTimeIntervals`; nil when it has none (and from older coordinators).
    public var muteTimeIntervals: [String]?
    /// Names of the route's `activeTimeIntervals`; nil when it has none (and from older coordinators).
    public var activeTimeIntervals: [String]?

    public init(key: String, receiver: String, groupBy: [String], groupWaitSeconds: Int,
                groupIntervalSeconds: Int, repeatIntervalSeconds: Int,
                muteTimeIntervals: [String]? = nil, activeTimeIntervals: [String]? = nil) {
        self.key = key
        self.receiver = receiver
        self.groupBy = groupBy
        self.groupWaitSeconds = groupWaitSeconds
        self.groupIntervalSeconds = groupIntervalSeconds
        self.repeatIntervalSeconds = repeatIntervalSeconds
        self.muteTimeIntervals = muteTimeIntervals
        self.activeTimeIntervals = activeTimeIntervals
    }
}

/// `GET /v1/alerts/routes`: the applied route tree; `root` is nil when no route is applied.
public struct AlertRouteTreeView: Codable, Sendable, Equatable {
    /// The revision the tree comes from (0 before the first apply).
    public var revision: Int
    public var root: AlertRouteNodeView?

    public init(revision: Int, root: AlertRouteNodeView?) {
        self.revision = revision
        self.root = root
    }
}

/// One node of the route tree with its effective (inherited) settings.
public struct AlertRouteNodeView: Codable, Sendable, Equatable {
    public var key: String
    /// The route's own matchers in Alertmanager's string form, e.g. `site=~"auk.*"`.
    public var matchers: [String]
    public var receiver: String
    /// `["..."]` when every label groups.
    public var groupBy: [String]
    public var groupWaitSeconds: Int
    public var groupIntervalSeconds: Int
    public var repeatIntervalSeconds: Int
    /// Later siblings are also tried after this route matched.
    public var `continue`: Bool
    public var routes: [AlertRouteNodeView]
    /// Names of the route's own `muteTimeIntervals` (not inherited); nil when none.
    public var muteTimeIntervals: [String]?
    /// Names of the route's own `activeTimeIntervals` (not inherited); nil when none.
    public var activeTimeIntervals: [String]?

    public init(key: String, matchers: [String], receiver: String, groupBy: [String], groupWaitSeconds: Int,
                groupIntervalSeconds: Int, repeatIntervalSeconds: Int, continue: Bool, routes: [AlertRouteNodeView],
                muteTimeIntervals: [String]? = nil, activeTimeIntervals: [String]? = nil) {
        self.key = key
        self.matchers = matchers
        self.receiver = receiver
        self.groupBy = groupBy
        self.groupWaitSeconds = groupWaitSeconds
        self.groupIntervalSeconds = groupIntervalSeconds
        self.repeatIntervalSeconds = repeatIntervalSeconds
        self.continue = `continue`
        self.routes = routes
        self.muteTimeIntervals = muteTimeIntervals
        self.activeTimeIntervals = activeTimeIntervals
    }
}
