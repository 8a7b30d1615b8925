// A tiny HTTP server on 127.0.0.1 that records requests and answers what a test says.
//
// End-to-end tests run against the real coordinator (TestCoordinator.swift). This stub is
// kept for what the real one cannot do: answer as something that is NOT a coordinator
// (an HTML page, a 404 without the envelope) and show the exact requests fleetctl sent.
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

struct StubRequest: Sendable {
    var method: String
    var path: String
    var query: String?
    var headers: [(String, String)]
    var body: Data

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

struct StubResponse: Sendable {
    var status: Int
    var body: Data
    /// Hold the answer this long (a slow or hung coordinator).
    var delay: TimeAmount?
    /// The `Content-Type` of the answer (something that is not a coordinator sends `text/html`).
    var contentType = "application/json"

    static func json(_ status: Int, _ text: String) -> StubResponse {
        StubResponse(status: status, body: Data(text.utf8))
    }

    static func json(_ text: String) -> StubResponse { json(200, text) }
}

final class StubCoordinator: Sendable {
    typealias Route = @Sendable (StubRequest) -> StubResponse

    private let channel: any Channel
    private let box: RouteBox
    let port: Int

    let scheme: String
    var url: String { "\(scheme)://127.0.0.1:\(port)" }
    var requests: [StubRequest] { box.state.withLock { $0.requests } }

    private init(channel: any Channel, box: RouteBox, scheme: String) throws {
        self.channel = channel
        self.scheme = scheme
        self.box = box
        guard let port = channel.localAddress?.port else { throw StubError.noPort }
        self.port = port
    }

    enum StubError: Error { case noPort }

    /// Starts on 127.0.0.1 with an ephemeral port; with `tls`, serves HTTPS.
    static func start(tls: TLSConfiguration? = nil, route: @escaping Route) async throws -> StubCoordinator {
        let box = RouteBox(route: route)
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StubHandler(box: box))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let server = try StubCoordinator(channel: channel, box: box, scheme: tls == nil ? "http" : "https")
        return server
    }

    func setRoute(_ route: @escaping Route) {
        box.state.withLock { $0.route = route }
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Shared between the server object and its connection handlers.
final class RouteBox: Sendable {
    let state: Mutex<(route: StubCoordinator.Route, requests: [StubRequest])>
    init(route: @escaping StubCoordinator.Route) {
        state = Mutex((route: route, requests: []))
    }

    func handle(_ request: StubRequest) -> StubResponse {
        let route = state.withLock { state in
            state.requests.append(request)
            return state.route
        }
        return route(request)
    }
}

final class StubHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let box: RouteBox
    private var head: HTTPRequestHead?
    private var body = Data()

    init(box: RouteBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = Data()
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            guard let head else { return }
            let parts = head.uri.split(separator: "?", maxSplits: 1)
            let request = StubRequest(method: head.method.rawValue, path: parts.first.map(String.init) ?? head.uri,
                                      query: parts.count > 1 ? String(parts[1]) : nil,
                                      headers: head.headers.map { ($0.name, $0.value) }, body: body)
            let response = box.handle(request)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: String(response.body.count))
            let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: response.status),
                                                headers: headers)
            self.head = nil
            let answer: [HTTPServerResponsePart] = [.head(responseHead), .body(.byteBuffer(ByteBuffer(bytes: response.body))), .end(nil)]
            guard let delay = response.delay else {
                for part in answer { context.write(wrapOutboundOut(part), promise: nil) }
                context.flush()
                return
            }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: delay) {
                for part in answer { bound.value.write(NIOAny(part), promise: nil) }
                bound.value.flush()
            }
        }
    }
}
