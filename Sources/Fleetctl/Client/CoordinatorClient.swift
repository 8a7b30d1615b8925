import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The admin API of the coordinator, over one `HTTPClient` per invocation.
///
/// Use ``withClient(_:_:)`` so that the client is always shut down, also on errors.
/// Every failure arrives as a ``FleetctlError``: transport problems and 5xx as
/// `.unreachable`/`.serverError` (exit 3), 4xx as `.rejected` with the envelope's code,
/// message and details (exit 1).
public final class CoordinatorClient: Sendable {
    /// A raw answer: status and body.
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
    }

    public let settings: CoordinatorSettings
    private let http: HTTPClient

    /// Upper bound of a response body; the largest answers are recordings lists.
    static let maxBodyBytes = 64 * 1024 * 1024

    /// Creates the HTTP client. Throws ``FleetctlError/invalidInput(_:)`` for an unreadable CA file.
    public init(settings: CoordinatorSettings) throws {
        self.settings = settings
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caFile = settings.caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw FleetctlError.invalidInput("cannot read CA certificates from \(caFile): \(Self.describe(error))")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout.connect = .milliseconds(Int64(settings.timeoutSeconds * 1000))
        // A CLI reports a refused connection at once instead of retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body` with a fresh client and shuts the client down afterwards, whatever happens.
    public static func withClient<R: Sendable>(
        _ settings: CoordinatorSettings, _ body: (CoordinatorClient) async throws -> R
    ) async throws -> R {
        let client = try CoordinatorClient(settings: settings)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Shuts down the underlying `HTTPClient`; call once.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Typed calls

    /// `GET path` decoded as `T`.
    public func get<T: Decodable>(_ path: String, as type: T.Type = T.self, timeoutSeconds: Double? = nil) async throws -> T {
        let response = try await send(.GET, path, body: nil, timeoutSeconds: timeoutSeconds)
        return try decode(T.self, response.body, path: path)
    }

    /// `GET path` of a list: a JSON array, or an object holding one array (tolerated for robustness).
    public func getList<T: Decodable>(_ path: String, of type: T.Type = T.self) async throws -> [T] {
        let response = try await send(.GET, path, body: nil, timeoutSeconds: nil)
        if let list = try? WireCoding.decoder().decode([T].self, from: response.body) { return list }
        if let wrapped = try? WireCoding.decoder().decode([String: [T]].self, from: response.body), wrapped.count == 1,
           let list = wrapped.values.first {
            return list
        }
        return try decode([T].self, response.body, path: path)
    }

    /// `POST path` with a JSON body (or none), decoded as `T`.
    public func post<T: Decodable>(_ path: String, json body: (any Encodable & Sendable)? = nil, as type: T.Type = T.self) async throws -> T {
        let response = try await postRaw(path, json: body)
        return try decode(T.self, response.body, path: path)
    }

    /// `POST path` with a JSON body (or none); the answer's body is returned as is.
    public func postRaw(_ path: String, json body: (any Encodable & Sendable)? = nil) async throws -> Response {
        var data: Data?
        if let body {
            do { data = try WireCoding.encoder().encode(body) } catch {
                throw FleetctlError.invalidInput("cannot encode the request to \(path): \(Self.describe(error))")
            }
        }
        return try await send(.POST, path, body: data, timeoutSeconds: nil)
    }

    // MARK: Catalogue calls

    /// Calls one endpoint of the catalogue: its method, its path with `values` filled in
    /// (percent-encoded) and `query`, `body` as JSON; the answer decoded as the endpoint's response type.
    /// An ``EmptyBody`` request sends no body; an ``EmptyBody`` answer is not decoded.
    ///
    /// ```swift
    /// let station = try await client.call(Endpoints.station, "ROST1")
    /// let result = try await client.call(Endpoints.apply, body: ApplyRequest(files: files, dryRun: true))
    /// ```
    public func call<Body: Encodable & Sendable, Answer: Decodable>(
        _ endpoint: Endpoint<Body, Answer>, _ values: String..., query: [(String, String)] = [], body: Body? = nil,
        timeoutSeconds: Double? = nil
    ) async throws -> Answer {
        let path = endpoint.path(values: values, query: query)
        var data: Data?
        if let body, !(body is EmptyBody) {
            do { data = try WireCoding.encoder().encode(body) } catch {
                throw FleetctlError.invalidInput("cannot encode the request to \(path): \(Self.describe(error))")
            }
        }
        let response = try await send(HTTPMethod(endpoint.method), path, body: data, timeoutSeconds: timeoutSeconds)
        if let empty = EmptyBody() as? Answer { return empty }
        return try decode(Answer.self, response.body, path: path)
    }

    // MARK: Transport

    /// Sends one request; returns a 2xx answer or throws a ``FleetctlError``.
    public func send(_ method: HTTPMethod, _ path: String, body: Data?, timeoutSeconds: Double?) async throws -> Response {
        var request = makeRequest(method, path)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        } else if method == .POST {
            request.headers.add(name: "Content-Length", value: "0")
        }
        return try await execute(request, timeoutSeconds: timeoutSeconds ?? settings.timeoutSeconds)
    }

    /// `POST path` with the file at `file` (`size` bytes) as a raw body, streamed from disk in
    /// chunks: the file is never read whole into memory.
    public func upload(_ path: String, file: String, size: Int64, timeoutSeconds: Double) async throws -> Response {
        var request = makeRequest(.POST, path)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(FileChunks(path: file), length: .known(size))
        return try await execute(request, timeoutSeconds: timeoutSeconds)
    }

    private func makeRequest(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: settings.baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "fleetctl/\(FleetVersion.current)")
        if let token = settings.token {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        return request
    }

    private func execute(_ request: HTTPClientRequest, timeoutSeconds seconds: Double) async throws -> Response {
        let status: Int
        let data: Data
        let contentType: String
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(seconds * 1000)))
            status = Int(response.status.code)
            contentType = response.headers.first(name: "Content-Type") ?? ""
            var buffer = try await response.body.collect(upTo: Self.maxBodyBytes)
            data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch let error as FleetctlError {
            throw error
        } catch {
            throw FleetctlError.unreachable(coordinator: settings.baseURL, reason: Self.transportReason(error, seconds: seconds))
        }
        if (200..<300).contains(status) {
            // Every coordinator answer with a body is JSON; an HTML page or the like comes from something else.
            if !data.isEmpty, !contentType.isEmpty, !contentType.lowercased().contains("json") {
                throw FleetctlError.notCoordinator(url: settings.baseURL, status: status, contentType: contentType)
            }
            return Response(status: status, body: data)
        }
        if status < 500, (try? WireCoding.decoder().decode(ErrorEnvelope.self, from: data)) == nil {
            throw FleetctlError.notCoordinator(url: settings.baseURL, status: status, contentType: contentType)
        }
        throw Self.failure(status: status, body: data)
    }

    /// The ``FleetctlError`` for a non-2xx answer.
    static func failure(status: Int, body: Data) -> FleetctlError {
        let envelope = try? WireCoding.decoder().decode(ErrorEnvelope.self, from: body)
        if status >= 500 {
            let message = envelope?.error.message ?? fallbackMessage(status: status, body: body)
            return .serverError(status: status, message: message)
        }
        if let envelope {
            return .rejected(status: status, code: envelope.error.code, message: envelope.error.message,
                             details: envelope.error.details ?? [])
        }
        return .rejected(status: status, code: "", message: fallbackMessage(status: status, body: body), details: [])
    }

    private static func fallbackMessage(status: Int, body: Data) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).firstLine
        let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
        return text.isEmpty ? reason : "\(reason): \(text)"
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, path: String) throws -> T {
        do {
            return try WireCoding.decoder().decode(T.self, from: data)
        } catch {
            throw FleetctlError.badResponse(path: path, reason: Self.describe(error))
        }
    }

    /// A short reason for a transport failure: refused, timed out, TLS, DNS.
    static func transportReason(_ error: any Error, seconds: Double) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out after \(format(seconds))s"
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "no answer within \(format(seconds))s"
            case .remoteConnectionClosed: return "connection closed by the coordinator"
            default: break
            }
        }
        if let error = error as? IOError {
            if error.errnoCode == ECONNREFUSED { return "connection refused" }
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return "TLS failure: \(tlsReason(error))"
        }
        let text = describe(error)
        if text.contains("ECONNREFUSED") || text.lowercased().contains("connection refused") || text.contains("connectionRefused") {
            return "connection refused"
        }
        if text.contains("SocketAddressError") || text.contains("unknown host") || text.contains("unknownHost") {
            return "cannot resolve the host name"
        }
        if text.contains("certificate") || text.contains("SSL") || text.contains("TLS") {
            return "TLS failure: \(tlsReason(error))"
        }
        return text
    }

    /// The reason of a TLS failure in words, e.g. `certificate not trusted (…--ca-file)`.
    static func tlsReason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the coordinator's certificate is not trusted (give its CA with --ca-file)"
        }
        if text.contains("failedToValidateHostname") || text.contains("hostname") {
            return "the coordinator's certificate does not match the host name"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
            return "the coordinator does not speak TLS on this port (try http://)"
        }
        // BoringSSL: "error:1000007d:SSL routines:OPENSSL_internal:REASON at file:line"
        if let range = text.range(of: #"OPENSSL_internal:[A-Z0-9_]+"#, options: .regularExpression) {
            let reason = text[range].dropFirst("OPENSSL_internal:".count)
            return reason.lowercased().replacingOccurrences(of: "_", with: " ")
        }
        return describe(error)
    }

    /// One line from any error, never a multi-line dump.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case let .keyNotFound(key, context):
                return "missing field \(pathText(context.codingPath + [key]))"
            case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
                let at = context.codingPath.isEmpty ? "" : " at \(pathText(context.codingPath))"
                return "\(context.debugDescription.firstLine)\(at)"
            @unknown default:
                break
            }
        }
        let text = String(describing: error).firstLine
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    private static func pathText(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}

extension HTTPMethod {
    /// The NIO method of a catalogue endpoint.
    init(_ method: EndpointMethod) {
        switch method {
        case .get: self = .GET
        case .post: self = .POST
        case .delete: self = .DELETE
        }
    }
}
