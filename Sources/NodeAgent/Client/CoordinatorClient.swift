import AsyncHTTPClient
import CompressNIO
import FleetProtocol
import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Why a call to the coordinator failed.
public enum CoordinatorClientError: Error, CustomStringConvertible {
    /// No coordinator answered (connection refused, timeout, TLS failure).
    case unreachable(String)
    /// 401: the credential is unknown or was revoked.
    case unauthorized(String)
    case forbidden(String)
    /// 409: the name already holds a credential.
    case conflict(String)
    /// 409 `status_base_unknown`: the coordinator does not hold the status a delta heartbeat
    /// is relative to; send a full report.
    case statusBaseUnknown(String)
    /// Any other non-2xx answer.
    case rejected(status: Int, message: String)
    case badResponse(String)
    /// 429: this node sent too often; try again after `retryAfter` (nil: no usable
    /// `Retry-After`, back off instead). Nothing was stored, so nothing is lost by waiting.
    case rateLimited(retryAfter: Duration?)
    /// 503 or 507: the coordinator cannot take the report now (its store is unavailable
    /// or its disk is full); try again later, keeping everything queued.
    case busy(status: Int, message: String, retryAfter: Duration?)

    public var description: String {
        switch self {
        case .unreachable(let detail): return "coordinator unreachable: \(detail)"
        case .unauthorized(let message): return "unauthorized: \(message)"
        case .forbidden(let message): return "forbidden: \(message)"
        case .conflict(let message): return message
        case .statusBaseUnknown(let message): return "coordinator wants a full report: \(message)"
        case .rejected(let status, let message): return "coordinator answered \(status): \(message)"
        case .badResponse(let detail): return "unreadable answer from coordinator: \(detail)"
        case .rateLimited(let retryAfter):
            return "coordinator is rate limiting this node; retry after \(retryAfter.map { "\($0.components.seconds) s" } ?? "a back-off")"
        case .busy(let status, let message, let retryAfter):
            return "coordinator answered \(status): \(message); retry after \(retryAfter.map { "\($0.components.seconds) s" } ?? "a back-off")"
        }
    }
}

/// The agent's HTTP client: JSON over AsyncHTTPClient, bearer auth, failover across URLs.
public actor CoordinatorClient {
    private let http: HTTPClient
    private let urls: [URL]
    private var current = 0
    /// Coordinators (by index) that acknowledged a delta base, so they take gzip bodies too.
    private var takesGzip: Set<Int> = []
    /// Request bodies at least this large go gzipped to a coordinator that takes them; a
    /// heartbeat delta is far smaller and goes as it is (gzip's header alone is 18 bytes).
    static let gzipThreshold = 1024
    private let logger: Logger

    /// `spreadKey` (the node's name) picks the coordinator tried first, so that a fleet given
    /// the same list of URLs spreads over them instead of all starting on the first.
    public init(urls: [URL], caFile: String?, spreadKey: String? = nil, logger: Logger) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            tls.trustRoots = .certificates(certificates)
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // A parked watch reads nothing for up to WatchLimits.agentSeconds; every call has its own deadline too.
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(WatchLimits.agentSeconds) + 60))
        // Fail fast on a refused connection so failover to the next coordinator is quick;
        // the agent's own loop retries with back-off.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.urls = urls
        self.current = spreadKey.map { Self.firstIndex(for: $0, count: urls.count) } ?? 0
        self.logger = logger
    }

    /// A stable choice in `0..<count` for `key` (FNV-1a; the same on every start and build).
    static func firstIndex(for key: String, count: Int) -> Int {
        guard count > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// The coordinator currently in use.
    public var currentURL: URL { urls[current] }

    public func register(_ request: RegistrationRequest, joinToken: String) async throws -> RegistrationResponse {
        try await call(.POST, Endpoints.register.path(), token: joinToken, body: request, timeout: .seconds(10))
    }

    public func heartbeat(node: String, token: String, report: StatusReport) async throws -> StatusAck {
        try await heartbeat(node: node, token: token, body: .full(report))
    }

    public func heartbeat(node: String, token: String, body: Heartbeat) async throws -> StatusAck {
        // A delta goes only to a coordinator that said it holds a base: one that takes gzip.
        let gzip = if case .delta = body { true } else { takesGzip.contains(current) }
        let ack: StatusAck = try await call(.POST, Endpoints.heartbeat.path(node), token: token, body: body,
                                            timeout: .seconds(10), gzip: gzip)
        if ack.statusBase != nil { takesGzip.insert(current) } else { takesGzip.remove(current) }
        return ack
    }

    /// Liveness alone while the status is the one the current coordinator holds as `base`: no
    /// body, and nil for its 204 ("held, and `revision` is the desired one"); else its ack.
    public func heartbeatUnchanged(node: String, token: String, base: Int, revision: Int) async throws -> StatusAck? {
        try await call(.POST, Endpoints.heartbeatUnchanged.path(node, query: [("base", "\(base)"), ("revision", "\(revision)")]),
                       token: token, body: Optional<String>.none, timeout: .seconds(10))
    }

    public func watch(node: String, token: String, knownRevision: Int,
                      timeoutSeconds: Int = WatchLimits.agentSeconds) async throws -> WatchResponse {
        try await call(.GET, Endpoints.watch.path(node, query: [("revision", "\(knownRevision)"), ("timeout", "\(timeoutSeconds)")]), token: token,
                       body: Optional<String>.none, timeout: .seconds(Int64(timeoutSeconds) + 10))
    }

    public func uploadLogs(node: String, token: String, command: String, _ upload: LogUpload) async throws -> LogUploadAck {
        try await call(.POST, Endpoints.logUpload.path(node, command), token: token, body: upload, timeout: .seconds(30))
    }

    public func uploadSnapshot(node: String, token: String, command: String, _ upload: SnapshotUpload) async throws {
        let _: EmptyBody = try await call(.POST, Endpoints.snapshotUpload.path(node, command), token: token, body: upload,
                                          timeout: .seconds(60))
    }

    /// Downloads an agent build from the current coordinator, then each other one once (the
    /// part file carries over, so a failover resumes where the last one stopped).
    public func downloadAgentBuild(node: String, token: String, build: AgentBuild, part: String,
                                   progress: @escaping @Sendable (Int64, Int64) async -> Void) async throws {
        let downloader = BuildDownloader(http: http)
        var lastError: any Error = BuildDownloader.Failure(reason: .downloadFailed, detail: "no coordinator configured")
        for attempt in 0..<urls.count {
            let base = urls[(current + attempt) % urls.count]
            let url = base.absoluteString.trimmingSuffix("/")
                + Endpoints.agentBuildDownload.path(node, build.version, build.arch)
            do {
                try await downloader.download(url: url, token: token, build: build, part: part, progress: progress)
                return
            } catch let failure as BuildDownloader.Failure where failure.reason == .downloadFailed {
                lastError = failure
            }
        }
        throw lastError
    }

    /// Tries the current coordinator, then each other one once; moves on only when one is
    /// unreachable or busy (503, 507).
    private func call<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, token: String, body: Body?, timeout: TimeAmount, gzip: Bool = false
    ) async throws -> Answer {
        var lastError: CoordinatorClientError = .unreachable("no coordinator configured")
        for attempt in 0..<urls.count {
            let index = (current + attempt) % urls.count
            do {
                let answer: Answer = try await send(method, base: urls[index], path: path, token: token, body: body, timeout: timeout,
                                                    gzip: gzip && index == current)
                if index != current {
                    logger.notice("failed over to coordinator", metadata: ["url": "\(urls[index])"])
                    current = index
                }
                return answer
            } catch let error as CoordinatorClientError {
                // Unreachable, or its store unavailable / disk full (503, 507): another
                // coordinator may answer. When none does, the last answer is thrown.
                switch error {
                case .unreachable, .busy: lastError = error
                default: throw error
                }
            }
        }
        throw lastError
    }

    private func send<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod, base: URL, path: String, token: String, body: Body?, timeout: TimeAmount, gzip: Bool
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base.absoluteString.trimmingSuffix("/") + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "User-Agent", value: "fleet-agent/\(FleetVersion.current)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            var bytes = ByteBuffer(bytes: try WireCoding.encode(body))
            var source = bytes
            if gzip, bytes.readableBytes >= Self.gzipThreshold, let packed = try? source.compress(with: .gzip()) {
                request.headers.add(name: "Content-Encoding", value: "gzip")
                bytes = packed
            }
            request.body = .bytes(bytes)
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await executeOnLiveConnection(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw CoordinatorClientError.unreachable("\(base): \(error)")
        }
        let data = Data(bytes.readableBytesView)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let envelope = try? WireCoding.decode(ErrorEnvelope.self, from: data)
            let message = envelope?.error.message ?? response.status.reasonPhrase
            if status == 409, envelope?.error.code == ErrorCode.statusBaseUnknown { throw CoordinatorClientError.statusBaseUnknown(message) }
            throw Self.error(status: status, message: message, retryAfter: response.headers.first(name: "Retry-After"),
                             base: base)
        }
        if data.isEmpty, let empty = EmptyBody() as? Answer { return empty }  // 204
        if data.isEmpty, let optional = Answer.self as? any ExpressibleByNilLiteral.Type,
           let none = optional.init(nilLiteral: ()) as? Answer { return none }  // 204 for an optional answer
        do {
            return try WireCoding.decode(Answer.self, from: data)
        } catch {
            throw CoordinatorClientError.badResponse("\(path): \(error)")
        }
    }
}

extension CoordinatorClient {
    /// Sends `request`, again (twice at most) when the pool handed it a kept-alive connection
    /// the coordinator had already closed: the coordinator closes a connection once a watch on
    /// it ended, and that is no sign of a coordinator going away (no failover for it). A
    /// report sent twice is harmless: its items are idempotent by id.
    func executeOnLiveConnection(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await http.execute(request, timeout: timeout)
            } catch let error as HTTPClientError where error == .remoteConnectionClosed && attempt < 3 {
                continue
            } catch ChannelError.ioOnClosedChannel where attempt < 3 {
                continue
            }
        }
    }

    /// The typed error for a non-2xx answer.
    static func error(status: Int, message: String, retryAfter: String?, base: URL) -> CoordinatorClientError {
        switch status {
        case 401: return .unauthorized(message)
        case 403: return .forbidden(message)
        case 409: return .conflict(message)
        case 429: return .rateLimited(retryAfter: parseRetryAfter(retryAfter))
        case 503, 507: return .busy(status: status, message: message, retryAfter: parseRetryAfter(retryAfter))
        case 500...: return .unreachable("\(base) answered \(status): \(message)")
        default: return .rejected(status: status, message: message)
        }
    }

    /// Bounds on a coordinator's `Retry-After`: at least 1 s, at most 10 minutes.
    static let retryAfterRange: ClosedRange<Int64> = 1...600

    /// `Retry-After` in seconds, clamped to ``retryAfterRange``; nil when missing or not a
    /// number of seconds (an HTTP date is not used by the coordinator), so the caller backs off.
    static func parseRetryAfter(_ value: String?) -> Duration? {
        guard let text = value?.trimmedWhitespace, let seconds = Int64(text) else { return nil }
        return .seconds(min(max(seconds, retryAfterRange.lowerBound), retryAfterRange.upperBound))
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
