import FoundationEssentials

/// The HTTP method of an ``Endpoint``.
public enum EndpointMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET"
    case post = "POST"
    case delete = "DELETE"
}

/// Who may call an ``Endpoint``, as `Authorization: Bearer TOKEN`.
///
/// A missing or unknown token is answered with 401; a known token of the wrong kind with 403.
public enum EndpointAccess: String, Sendable, Hashable, CaseIterable {
    /// No token needed (health, readiness, metrics).
    case `public`
    /// The join token (registration only).
    case join
    /// A node's own credential, for the node named in the path's `{name}` only.
    case node
    /// The admin token. Every `GET` with this access is also open to a viewer (a viewer
    /// token or a viewer's dashboard session): see ``allowsViewer(_:)``.
    case admin

    /// The one rule for read-only callers: a viewer may call every admin `GET` and nothing
    /// that acts (no `POST`, no `DELETE`).
    ///
    /// ```swift
    /// Endpoints.alerts.access.allowsViewer(Endpoints.alerts.method)      // true
    /// Endpoints.alertAck.access.allowsViewer(Endpoints.alertAck.method)  // false
    /// ```
    public func allowsViewer(_ method: EndpointMethod) -> Bool {
        self == .admin && method == .get
    }
}

/// The body of a request that has none, or of a `204 No Content` answer.
public struct EmptyBody: Codable, Sendable, Equatable {
    public init() {}
}

/// A response body that is plain text rather than JSON (health checks, Prometheus metrics).
public struct PlainText: Sendable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text }
}

/// One endpoint of the coordinator's HTTP API: method, path template, body types and access.
///
/// Every endpoint is declared once, in ``Endpoints``; the coordinator registers its routes
/// from these declarations and the agent and fleetctl build their request paths from them.
///
/// ```swift
/// let endpoint = Endpoints.heartbeat           // Endpoint<StatusReport, StatusAck>
/// endpoint.method                               // .post
/// endpoint.template                             // "/v1/nodes/{name}/heartbeat"
/// endpoint.path("pi 1")                         // "/v1/nodes/pi%201/heartbeat"
/// Endpoints.watch.path("pi1", query: [("revision", "3")])  // "/v1/nodes/pi1/watch?revision=3"
/// ```
public struct Endpoint<Request, Response>: Sendable {
    public let method: EndpointMethod
    /// The path with `{parameter}` placeholders, e.g. `/v1/nodes/{name}/heartbeat`.
    public let template: String
    public let access: EndpointAccess
    /// Query parameters the endpoint understands (documentation only).
    public let query: [String]
    /// One line for docs.
    public let summary: String

    /// Declares an endpoint; see ``Endpoints`` for the catalogue.
    public init(_ method: EndpointMethod, _ template: String, access: EndpointAccess, query: [String] = [],
                summary: String = "") {
        self.method = method
        self.template = template
        self.access = access
        self.query = query
        self.summary = summary
    }

    /// The names of the path parameters, in order: `["kind", "name"]` for `/v1/jobs/{kind}/{name}/run`.
    public var parameters: [String] { EndpointTemplate.parameters(of: template) }

    /// The request path with the parameters filled in order, each percent-encoded as one path segment
    /// (`/`, `?`, `#`, `%` and `;` included), plus an optional percent-encoded query.
    ///
    /// ```swift
    /// Endpoints.jobRun.path("backup", "birdnet-db", query: [("node", "emsn-zolder")])
    /// // "/v1/jobs/backup/birdnet-db/run?node=emsn-zolder"
    /// ```
    /// Missing values leave an empty segment; extra values are ignored.
    public func path(_ values: String..., query items: [(String, String)] = []) -> String {
        path(values: values, query: items)
    }

    /// ``path(_:query:)`` with the values as an array.
    public func path(values: [String], query items: [(String, String)] = []) -> String {
        EndpointTemplate.withQuery(EndpointTemplate.fill(template, values), items)
    }

    /// The same endpoint without its body types, for lists and docs.
    public var info: EndpointDescription {
        EndpointDescription(method: method, template: template, access: access, query: query, summary: summary,
                            request: String(describing: Request.self), response: String(describing: Response.self))
    }
}

/// An ``Endpoint`` without its generic body types: what ``Endpoints/all`` lists.
///
/// ```swift
/// for endpoint in Endpoints.all {
///     print(endpoint.method.rawValue, endpoint.template, endpoint.access)
/// }
/// ```
public struct EndpointDescription: Sendable, Hashable, CustomStringConvertible {
    public let method: EndpointMethod
    public let template: String
    public let access: EndpointAccess
    public let query: [String]
    public let summary: String
    /// Name of the request body type (`EmptyBody` for none).
    public let request: String
    /// Name of the response body type (`PlainText` for text answers).
    public let response: String

    /// The names of the path parameters, in order.
    public var parameters: [String] { EndpointTemplate.parameters(of: template) }

    /// `GET /v1/nodes`: the route label used in metrics.
    public var label: String { "\(method.rawValue) \(template)" }

    public var description: String { label }

    /// A request path with every parameter filled with `value` (for tests and docs).
    public func samplePath(_ value: String = "x") -> String {
        EndpointTemplate.fill(template, parameters.map { _ in value })
    }
}

/// Path template helpers shared by ``Endpoint`` and ``EndpointDescription``.
public enum EndpointTemplate {
    /// ASCII characters left as they are in a path segment (RFC 3986 `pchar` without `;`):
    /// unreserved, sub-delimiters, `:` and `@`. Every other byte of the UTF-8 form is escaped.
    static let segmentAllowed: Set<UInt8> = unreservedASCII.union(Array("!$&'()*+,=:@".utf8))

    /// ASCII characters left as they are in a query key or value: RFC 3986 unreserved only.
    static let queryAllowed: Set<UInt8> = unreservedASCII

    private static let unreservedASCII: Set<UInt8> =
        Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    /// Percent-encodes every UTF-8 byte of `text` not in `allowed` (upper-case hex digits).
    static func percentEncode(_ text: String, allowed: Set<UInt8>) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if allowed.contains(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes everything except RFC 3986 unreserved ASCII (`A–Z a–z 0–9 - . _ ~`), as
    /// user info in a URL needs (the recorder's RTSP password).
    public static func percentEncodeUnreserved(_ text: String) -> String {
        percentEncode(text, allowed: unreservedASCII)
    }

    /// Escapes one path segment (a node, station or job name), including `/`.
    public static func segment(_ name: String) -> String {
        percentEncode(name, allowed: segmentAllowed)
    }

    /// `path?key=value&…` with keys and values percent-encoded (`+`, `:`, `&`, `=` included).
    public static func withQuery(_ path: String, _ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return path }
        let query = items.map { key, value in
            let k = percentEncode(key, allowed: queryAllowed)
            let v = percentEncode(value, allowed: queryAllowed)
            return "\(k)=\(v)"
        }.joined(separator: "&")
        return "\(path)?\(query)"
    }

    /// The `{parameter}` names of a template, in order.
    public static func parameters(of template: String) -> [String] {
        template.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }

    /// The template in Hummingbird's route syntax: `{name}` becomes `:name`.
    public static func routerPath(_ template: String) -> String {
        "/" + template.split(separator: "/", omittingEmptySubsequences: true).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }

    /// Fills the placeholders in order with percent-encoded values.
    /// With `encode: false` the values are inserted as given (the caller has encoded them).
    public static func fill(_ template: String, _ values: [String], encode: Bool = true) -> String {
        var index = 0
        let parts = template.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            guard part.hasPrefix("{"), part.hasSuffix("}") else { return String(part) }
            defer { index += 1 }
            return index < values.count ? (encode ? segment(values[index]) : values[index]) : ""
        }
        return parts.joined(separator: "/")
    }
}
