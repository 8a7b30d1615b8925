/// Ready-made request paths, kept for callers that build paths by hand; every one comes from
/// the catalogue in ``Endpoints``. Values are inserted as given: encode them with
/// ``EndpointTemplate/segment(_:)`` first, or use ``Endpoint/path(_:query:)``, which does.
///
/// ```swift
/// APIPath.heartbeat("pi1") == Endpoints.heartbeat.path("pi1")  // "/v1/nodes/pi1/heartbeat"
/// ```
public enum APIPath {
    public static var healthz: String { Endpoints.healthz.template }
    public static var readyz: String { Endpoints.readyz.template }
    public static var metrics: String { Endpoints.metrics.template }
    public static var register: String { Endpoints.register.template }
    public static func heartbeat(_ node: String) -> String { raw(Endpoints.heartbeat.template, node) }
    public static func watch(_ node: String) -> String { raw(Endpoints.watch.template, node) }
    public static var apply: String { Endpoints.apply.template }
    public static var nodes: String { Endpoints.nodes.template }
    public static func node(_ name: String) -> String { raw(Endpoints.node.template, name) }
    public static func nodeReset(_ name: String) -> String { raw(Endpoints.nodeReset.template, name) }
    public static var stations: String { Endpoints.stations.template }
    public static func station(_ name: String) -> String { raw(Endpoints.station.template, name) }
    public static func stationRestart(_ name: String) -> String { raw(Endpoints.stationRestart.template, name) }
    public static func recordings(_ station: String) -> String { raw(Endpoints.recordings.template, station) }
    public static var sites: String { Endpoints.sites.template }
    public static func site(_ name: String) -> String { raw(Endpoints.site.template, name) }
    public static var assignments: String { Endpoints.assignments.template }
    public static func assignment(_ node: String) -> String { raw(Endpoints.assignment.template, node) }
    public static func jobRun(kind: String, name: String) -> String { raw(Endpoints.jobRun.template, kind, name) }
    public static func command(_ id: String) -> String { raw(Endpoints.command.template, id) }
    public static var revisions: String { Endpoints.revisions.template }

    private static func raw(_ template: String, _ values: String...) -> String {
        EndpointTemplate.fill(template, values, encode: false)
    }
}
