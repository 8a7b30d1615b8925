import Foundation
import FleetProtocol

/// Where and how to reach the coordinator.
public struct CoordinatorSettings: Sendable, Equatable {
    /// Scheme, host and port (and an optional path prefix), without a trailing slash.
    public var baseURL: String
    /// The admin bearer token; `nil` sends no `Authorization` header.
    public var token: String?
    /// PEM file of a private CA to trust instead of the system store.
    public var caFile: String?
    /// Timeout of each request.
    public var timeoutSeconds: Double

    /// Validates `coordinator` as an `http://` or `https://` URL with a host.
    public init(coordinator: String, token: String?, caFile: String?, timeoutSeconds: Double) throws {
        var text = coordinator.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil
        else {
            throw FleetctlError.invalidInput("invalid coordinator URL \(coordinator): expected http://HOST:PORT or https://HOST:PORT")
        }
        if caFile != nil && scheme != "https" {
            throw FleetctlError.invalidInput("--ca-file needs an https:// coordinator URL, not \(coordinator)")
        }
        self.baseURL = text
        self.token = token
        self.caFile = caFile
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Builds request paths with safely escaped names and queries.
public enum RequestPath {
    /// Escapes one path segment (a node, station or job name), including `/`.
    public static func segment(_ name: String) -> String {
        EndpointTemplate.segment(name)
    }

    /// `path?key=value&…` with keys and values percent-encoded (`+`, `:`, `&`, `=` included).
    public static func withQuery(_ path: String, _ items: [(String, String)]) -> String {
        EndpointTemplate.withQuery(path, items)
    }
}
