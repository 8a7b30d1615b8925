/// The HTTP API, in one place so that the coordinator, agent and fleetctl agree.
///
/// Auth: `Authorization: Bearer TOKEN`. The join token may only `register`; a node token
/// only its own `heartbeat` and `watch`; everything under admin needs the admin token.
public enum APIPath {
    // Unauthenticated
    public static let healthz = "/healthz"
    public static let readyz = "/readyz"
    public static let metrics = "/metrics"

    // Join token
    public static let register = "/v1/register"

    // Node token
    public static func heartbeat(_ node: String) -> String { "/v1/nodes/\(node)/heartbeat" }
    /// Query: `revision=N` (the agent's applied revision), optional `timeout=SECONDS` (≤ 30).
    public static func watch(_ node: String) -> String { "/v1/nodes/\(node)/watch" }

    // Admin token
    public static let apply = "/v1/apply"
    public static let nodes = "/v1/nodes"
    public static func node(_ name: String) -> String { "/v1/nodes/\(name)" }
    public static func nodeReset(_ name: String) -> String { "/v1/nodes/\(name)/reset" }
    public static let stations = "/v1/stations"
    public static func station(_ name: String) -> String { "/v1/stations/\(name)" }
    public static func stationRestart(_ name: String) -> String { "/v1/stations/\(name)/restart" }
    /// Query: `from`, `to` (ISO 8601).
    public static func recordings(_ station: String) -> String { "/v1/stations/\(station)/recordings" }
    public static let sites = "/v1/sites"
    public static let assignments = "/v1/assignments"
    public static func assignment(_ node: String) -> String { "/v1/assignments/\(node)" }
    /// `kind` is `archive` or `backup`; body-less POST, query `node=` to pick one node.
    public static func jobRun(kind: String, name: String) -> String { "/v1/jobs/\(kind)/\(name)/run" }
    public static func command(_ id: String) -> String { "/v1/commands/\(id)" }
}
