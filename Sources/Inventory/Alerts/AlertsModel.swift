import Foundation

/// The `alerts` block: thresholds, receivers and the route tree.
public struct AlertsConfig: Codable, Sendable, Equatable, Hashable {
    public var thresholds: AlertThresholds
    public var receivers: [String: AlertReceiver]
    /// The root of the route tree; its `receiver` is always set.
    public var route: AlertRoute?
    /// `alerts.inhibitRules`, after the built-in one unless `builtinInhibitRules: false`.
    public var inhibitRules: [InhibitRule]
    /// `alerts.timeIntervals` by name, for routes' `muteTimeIntervals` and `activeTimeIntervals`.
    public var timeIntervals: [String: AlertTimeInterval]

    public init(thresholds: AlertThresholds = AlertThresholds(), receivers: [String: AlertReceiver] = [:],
                route: AlertRoute? = nil, inhibitRules: [InhibitRule] = [.nodeOfflineMutesNode],
                timeIntervals: [String: AlertTimeInterval] = [:]) {
        self.thresholds = thresholds
        self.receivers = receivers
        self.route = route
        self.inhibitRules = inhibitRules
        self.timeIntervals = timeIntervals
    }

    /// Decodes desired states stored by earlier versions: a field they did not have takes its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        thresholds = try container.decodeIfPresent(AlertThresholds.self, forKey: .thresholds) ?? AlertThresholds()
        receivers = try container.decodeIfPresent([String: AlertReceiver].self, forKey: .receivers) ?? [:]
        route = try container.decodeIfPresent(AlertRoute.self, forKey: .route)
        // Stored before inhibit rules existed: the built-in one, as a new apply would give.
        inhibitRules = try container.decodeIfPresent([InhibitRule].self, forKey: .inhibitRules) ?? [.nodeOfflineMutesNode]
        timeIntervals = try container.decodeIfPresent([String: AlertTimeInterval].self, forKey: .timeIntervals) ?? [:]
    }
}

/// `alerts.thresholds`, with the defaults used when a field is absent.
public struct AlertThresholds: Codable, Sendable, Equatable, Hashable {
    public var nodeOfflineAfterSeconds: Int
    public var segmentStaleAfterSeconds: Int
    /// Percent, 0–100.
    public var diskUsageAbovePercent: Double
    public var archiveBacklogAboveSeconds: Int
    /// RecorderRestartLoop: more than this many restarts within `restartWindowSeconds`.
    public var recorderRestartsAbove: Int
    public var restartWindowSeconds: Int
    /// DiskFillingUp: the agent forecasts a full disk within this many seconds.
    public var diskFullWithinSeconds: Int
    /// AgentVersionSkew: off unless set (nodes running another version than the newest seen).
    public var agentVersionSkew: Bool

    public init(nodeOfflineAfterSeconds: Int = 60, segmentStaleAfterSeconds: Int = 120,
                diskUsageAbovePercent: Double = 90, archiveBacklogAboveSeconds: Int = 7_200,
                recorderRestartsAbove: Int = 3, restartWindowSeconds: Int = 900,
                diskFullWithinSeconds: Int = 86_400, agentVersionSkew: Bool = false) {
        self.nodeOfflineAfterSeconds = nodeOfflineAfterSeconds
        self.segmentStaleAfterSeconds = segmentStaleAfterSeconds
        self.diskUsageAbovePercent = diskUsageAbovePercent
        self.archiveBacklogAboveSeconds = archiveBacklogAboveSeconds
        self.recorderRestartsAbove = recorderRestartsAbove
        self.restartWindowSeconds = restartWindowSeconds
        self.diskFullWithinSeconds = diskFullWithinSeconds
        self.agentVersionSkew = agentVersionSkew
    }

    /// Thresholds stored by earlier versions lack the newer fields: those take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AlertThresholds()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        nodeOfflineAfterSeconds = try value(.nodeOfflineAfterSeconds, defaults.nodeOfflineAfterSeconds)
        segmentStaleAfterSeconds = try value(.segmentStaleAfterSeconds, defaults.segmentStaleAfterSeconds)
        diskUsageAbovePercent = try value(.diskUsageAbovePercent, defaults.diskUsageAbovePercent)
        archiveBacklogAboveSeconds = try value(.archiveBacklogAboveSeconds, defaults.archiveBacklogAboveSeconds)
        recorderRestartsAbove = try value(.recorderRestartsAbove, defaults.recorderRestartsAbove)
        restartWindowSeconds = try value(.restartWindowSeconds, defaults.restartWindowSeconds)
        diskFullWithinSeconds = try value(.diskFullWithinSeconds, defaults.diskFullWithinSeconds)
        agentVersionSkew = try value(.agentVersionSkew, defaults.agentVersionSkew)
    }
}

/// A named alert destination.
public struct AlertReceiver: Codable, Sendable, Equatable, Hashable {
    public enum Channel: Codable, Sendable, Equatable, Hashable {
        case email(EmailReceiverConfig)
        case webhook(WebhookReceiverConfig)
        /// Forward to an existing Alertmanager's `POST /api/v2/alerts`.
        case alertmanager(AlertmanagerReceiverConfig)
    }

    public var name: String
    public var channel: Channel

    public init(name: String, channel: Channel) {
        self.name = name
        self.channel = channel
    }
}

/// Mail delivery. Credentials are file paths on the coordinator, never values.
public struct EmailReceiverConfig: Codable, Sendable, Equatable, Hashable {
    public var to: [String]
    /// `smtp://HOST:PORT` (STARTTLS when offered) or `smtps://HOST:PORT`.
    public var smtp: String
    public var usernameFile: String?
    public var passwordFile: String?
    public var from: String?
    /// `smtp://` only: refuse to send when the server does not offer STARTTLS.
    public var requireTLS: Bool
    /// A PEM file of CA certificates to trust instead of the system's (a private mail server).
    public var caFile: String?

    public init(to: [String], smtp: String, usernameFile: String? = nil, passwordFile: String? = nil, from: String? = nil,
                requireTLS: Bool = false, caFile: String? = nil) {
        self.to = to
        self.smtp = smtp
        self.usernameFile = usernameFile
        self.passwordFile = passwordFile
        self.from = from
        self.requireTLS = requireTLS
        self.caFile = caFile
    }

    /// Stored by earlier versions without `requireTLS`: false.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decode([String].self, forKey: .to)
        smtp = try container.decode(String.self, forKey: .smtp)
        usernameFile = try container.decodeIfPresent(String.self, forKey: .usernameFile)
        passwordFile = try container.decodeIfPresent(String.self, forKey: .passwordFile)
        from = try container.decodeIfPresent(String.self, forKey: .from)
        requireTLS = try container.decodeIfPresent(Bool.self, forKey: .requireTLS) ?? false
        caFile = try container.decodeIfPresent(String.self, forKey: .caFile)
    }
}

/// An HTTP POST of the alert group as JSON.
public struct WebhookReceiverConfig: Codable, Sendable, Equatable, Hashable {
    public var url: String
    /// When set, each POST carries `X-StationFleet-Signature: sha256=HEX`, an HMAC-SHA256 of
    /// the body keyed with this file's content (on the coordinator).
    public var secretFile: String?
    /// At most this many alerts per message (0: all); the rest are counted in `truncatedAlerts`.
    public var maxAlerts: Int

    public init(url: String, secretFile: String? = nil, maxAlerts: Int = 0) {
        self.url = url
        self.secretFile = secretFile
        self.maxAlerts = maxAlerts
    }

    /// Stored by earlier versions without `maxAlerts`: 0 (all).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        secretFile = try container.decodeIfPresent(String.self, forKey: .secretFile)
        maxAlerts = try container.decodeIfPresent(Int.self, forKey: .maxAlerts) ?? 0
    }
}

/// An existing Alertmanager that receives the alerts (it groups and routes them itself).
public struct AlertmanagerReceiverConfig: Codable, Sendable, Equatable, Hashable {
    /// Base URL, for example `http://127.0.0.1:9093`; alerts go to `URL/api/v2/alerts`.
    public var url: String

    public init(url: String) {
        self.url = url
    }
}

/// One node of the route tree, as in Alertmanager: an alert goes down the first
/// matching child (and further siblings when that child has `continue`), and fields
/// a child leaves nil are inherited from its parent. `muteTimeIntervals` and
/// `activeTimeIntervals` are not inherited (as in Alertmanager).
public struct AlertRoute: Codable, Sendable, Equatable, Hashable {
    public var receiver: String?
    public var groupBy: [String]?
    public var groupWaitSeconds: Int?
    public var groupIntervalSeconds: Int?
    public var repeatIntervalSeconds: Int?
    /// All must hold, sorted by name, value, operator (as Alertmanager). `matchers: [..]` strings,
    /// `match: {k: v}` and `matchRe: {k: re}` (read into `=` and `=~` matchers) all end up here.
    public var matchers: [LabelMatcher]
    /// Keep looking at later siblings after this route matched.
    public var continueMatching: Bool
    public var routes: [AlertRoute]
    /// Names of `alerts.timeIntervals` during which this route's notifications are not sent.
    public var muteTimeIntervals: [String]
    /// Names of `alerts.timeIntervals` outside all of which (when any are given) this route's
    /// notifications are not sent.
    public var activeTimeIntervals: [String]

    public init(receiver: String? = nil, groupBy: [String]? = nil, groupWaitSeconds: Int? = nil,
                groupIntervalSeconds: Int? = nil, repeatIntervalSeconds: Int? = nil,
                matchers: [LabelMatcher] = [],
                continueMatching: Bool = false, routes: [AlertRoute] = [],
                muteTimeIntervals: [String] = [], activeTimeIntervals: [String] = []) {
        self.receiver = receiver
        self.groupBy = groupBy
        self.groupWaitSeconds = groupWaitSeconds
        self.groupIntervalSeconds = groupIntervalSeconds
        self.repeatIntervalSeconds = repeatIntervalSeconds
        self.matchers = matchers
        self.continueMatching = continueMatching
        self.routes = routes
        self.muteTimeIntervals = muteTimeIntervals
        self.activeTimeIntervals = activeTimeIntervals
    }

    private enum LegacyKeys: String, CodingKey { case match, matchRe }

    /// Decodes routes stored by earlier versions (no time intervals; `match`/`matchRe` maps).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        receiver = try container.decodeIfPresent(String.self, forKey: .receiver)
        groupBy = try container.decodeIfPresent([String].self, forKey: .groupBy)
        groupWaitSeconds = try container.decodeIfPresent(Int.self, forKey: .groupWaitSeconds)
        groupIntervalSeconds = try container.decodeIfPresent(Int.self, forKey: .groupIntervalSeconds)
        repeatIntervalSeconds = try container.decodeIfPresent(Int.self, forKey: .repeatIntervalSeconds)
        if let stored = try container.decodeIfPresent([LabelMatcher].self, forKey: .matchers) {
            matchers = stored
        } else {
            // Stored by an earlier version as `match` / `matchRe` maps.
            let legacy = try decoder.container(keyedBy: LegacyKeys.self)
            let equal = try legacy.decodeIfPresent([String: String].self, forKey: .match) ?? [:]
            let regex = try legacy.decodeIfPresent([String: String].self, forKey: .matchRe) ?? [:]
            matchers = try equal.map { try LabelMatcher(name: $0.key, op: .equal, value: $0.value) }
                + regex.map { try LabelMatcher(name: $0.key, op: .regex, value: $0.value) }
            matchers.sort(by: InventoryLoader.matcherOrder)
        }
        continueMatching = try container.decodeIfPresent(Bool.self, forKey: .continueMatching) ?? false
        routes = try container.decodeIfPresent([AlertRoute].self, forKey: .routes) ?? []
        muteTimeIntervals = try container.decodeIfPresent([String].self, forKey: .muteTimeIntervals) ?? []
        activeTimeIntervals = try container.decodeIfPresent([String].self, forKey: .activeTimeIntervals) ?? []
    }

    /// Alertmanager's defaults for fields the root leaves out.
    public static let defaultGroupWaitSeconds = 30
    public static let defaultGroupIntervalSeconds = 300
    public static let defaultRepeatIntervalSeconds = 14_400

    /// This route with every nil field taken from `parent` (children are left as they are).
    /// For the root, pass nil to fill in the defaults.
    public func inheriting(from parent: AlertRoute?) -> AlertRoute {
        var route = self
        route.receiver = receiver ?? parent?.receiver
        route.groupBy = groupBy ?? parent?.groupBy ?? []
        route.groupWaitSeconds = groupWaitSeconds ?? parent?.groupWaitSeconds ?? Self.defaultGroupWaitSeconds
        route.groupIntervalSeconds = groupIntervalSeconds ?? parent?.groupIntervalSeconds ?? Self.defaultGroupIntervalSeconds
        route.repeatIntervalSeconds = repeatIntervalSeconds ?? parent?.repeatIntervalSeconds ?? Self.defaultRepeatIntervalSeconds
        return route
    }
}
