import FoundationEssentials

/// `GET /v1/alerts`: one alert the coordinator's rules raised.
///
/// `state` is `firing`, `silenced` (muted by a silence or by an inhibiting alert; see
/// `silencedBy` and `inhibitedBy`) or `resolved`. An acknowledged alert stays `firing` and
/// carries `acknowledged`.
public struct AlertView: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        case firing, silenced, resolved
    }

    /// The alert's fingerprint: what `fleetctl alerts ack` takes.
    public var id: String
    public var alertname: String
    public var severity: String
    public var labels: [String: String]
    public var state: State
    public var startsAt: Date
    public var endsAt: Date?
    public var summary: String
    /// IDs of the silences that mute it.
    public var silencedBy: [String]
    /// Fingerprints of the firing alerts that inhibit it.
    public var inhibitedBy: [String]
    public var acknowledged: Acknowledgement?
    /// The receivers its route sends it to.
    public var receivers: [String]

    public init(id: String, alertname: String, severity: String, labels: [String: String], state: State,
                startsAt: Date, endsAt: Date?, summary: String, silencedBy: [String] = [], inhibitedBy: [String] = [],
                acknowledged: Acknowledgement? = nil, receivers: [String] = []) {
        self.id = id
        self.alertname = alertname
        self.severity = severity
        self.labels = labels
        self.state = state
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.summary = summary
        self.silencedBy = silencedBy
        self.inhibitedBy = inhibitedBy
        self.acknowledged = acknowledged
        self.receivers = receivers
    }
}

/// Who acknowledged a firing alert, when and why. Repeats stop until it resolves or refires.
public struct Acknowledgement: Codable, Sendable, Equatable {
    public var by: String
    public var at: Date
    public var comment: String

    public init(by: String, at: Date, comment: String) {
        self.by = by
        self.at = at
        self.comment = comment
    }
}

/// `POST /v1/alerts/{id}/ack`.
public struct AckRequest: Codable, Sendable, Equatable {
    public var comment: String
    /// Who acknowledges (fleetctl sends `$USER@host`); recorded with the time.
    public var by: String

    public init(comment: String, by: String) {
        self.comment = comment
        self.by = by
    }
}

/// `POST /v1/silences`: mute alerts matching every matcher (`site=auklab`,
/// `alertname=~Segment.*`) for a while.
public struct SilenceRequest: Codable, Sendable, Equatable {
    public var matchers: [String]
    public var durationSeconds: Int
    public var comment: String
    public var by: String

    public init(matchers: [String], durationSeconds: Int, comment: String, by: String) {
        self.matchers = matchers
        self.durationSeconds = durationSeconds
        self.comment = comment
        self.by = by
    }
}

/// `GET /v1/silences`: one silence. `state` is `active` or `expired`.
public struct SilenceView: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case active, expired }

    public var id: String
    public var matchers: [String]
    public var startsAt: Date
    public var endsAt: Date
    public var createdBy: String
    public var comment: String
    public var state: State
    /// Set when expired by hand (`fleetctl silence expire`).
    public var expiredBy: String?

    public init(id: String, matchers: [String], startsAt: Date, endsAt: Date, createdBy: String, comment: String,
                state: State, expiredBy: String? = nil) {
        self.id = id
        self.matchers = matchers
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
        self.state = state
        self.expiredBy = expiredBy
    }
}

/// `POST /v1/silences/{id}/expire`: who ends the silence early.
public struct SilenceExpiry: Codable, Sendable, Equatable {
    public var by: String
    public init(by: String) { self.by = by }
}

/// `GET /v1/notifications`: one message of the outbox. `state` is `pending` (waiting for
/// its next attempt), `sent` or `failed` (gave up after its attempts; stays listed).
public struct NotificationView: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case pending, sent, failed }

    /// The idempotency key, also sent to the receiver.
    public var id: String
    public var receiver: String
    public var groupKey: String
    public var sequence: Int
    /// `firing` or `resolved`.
    public var status: String
    public var alerts: Int
    public var summary: String
    public var state: State
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?
    public var nextAttemptAt: Date?

    public init(id: String, receiver: String, groupKey: String, sequence: Int, status: String, alerts: Int,
                summary: String, state: State, attempts: Int, lastError: String?, createdAt: Date, sentAt: Date?,
                nextAttemptAt: Date?) {
        self.id = id
        self.receiver = receiver
        self.groupKey = groupKey
        self.sequence = sequence
        self.status = status
        self.alerts = alerts
        self.summary = summary
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.nextAttemptAt = nextAttemptAt
    }
}

extension Endpoints {
    /// Query: `state=` one of firing|silenced|resolved (default: firing and silenced),
    /// `node=`, `station=`.
    public static let alerts = Endpoint<EmptyBody, [AlertView]>(
        .get, "/v1/alerts", access: .admin, query: ["state", "node", "station"],
        summary: "alerts raised by the coordinator's rules")
    /// `{id}` is the alert's fingerprint or a unique prefix of it (at least 4 characters).
    public static let alertAck = Endpoint<AckRequest, AlertView>(
        .post, "/v1/alerts/{id}/ack", access: .admin, summary: "stop repeats of a firing alert until it resolves")
    public static let silences = Endpoint<EmptyBody, [SilenceView]>(
        .get, "/v1/silences", access: .admin, query: ["expired"], summary: "active silences (with expired=true, also ended ones)")
    public static let silenceAdd = Endpoint<SilenceRequest, SilenceView>(
        .post, "/v1/silences", access: .admin, summary: "mute matching alerts for a while (201)")
    public static let silenceExpire = Endpoint<SilenceExpiry, SilenceView>(
        .post, "/v1/silences/{id}/expire", access: .admin, summary: "end a silence now")
    /// Query: `failed=true` lists only notifications that gave up.
    public static let notifications = Endpoint<EmptyBody, [NotificationView]>(
        .get, "/v1/notifications", access: .admin, query: ["failed", "limit"],
        summary: "the notification outbox, newest first")

    /// The alerting endpoints, part of ``all``.
    static let alerting: [EndpointDescription] = [
        alerts.info, alertAck.info, silences.info, silenceAdd.info, silenceExpire.info, notifications.info,
    ]
}
