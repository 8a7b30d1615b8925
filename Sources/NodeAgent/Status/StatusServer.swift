import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The agent's local status endpoint (default `127.0.0.1:8421`): `GET /healthz` and
/// `GET /metrics`, HTTP/1.1 on SwiftNIO directly. Two read-only routes do not need a web
/// framework, and the agent's resident memory is a target on 1 GB Pis (issue 14).
///
/// ```swift
/// services.append(StatusServer.make(agent: agent, metrics: metrics, host: "127.0.0.1", port: 8421, logger: logger))
/// ```
public enum StatusServer {
    /// `/healthz` answers 503 when the reconcile loop has not completed for this long.
    static let staleAfterSeconds = 30.0

    public static func make(agent: NodeAgent, metrics: AgentMetrics, host: String, port: Int, logger: Logger,
                            onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        StatusService(host: host, port: port, logger: logger, onListening: onListening) { path in
            switch path {
            case "/healthz":
                let age = await agent.reconcileAge()
                let healthy = age.map { $0 < staleAfterSeconds } ?? false
                return StatusAnswer(status: healthy ? .ok : .serviceUnavailable, contentType: "text/plain; charset=utf-8",
                                    body: healthy ? "ok\n" : "reconcile loop stalled\n")
            case "/metrics":
                metrics.updateRecorders(await agent.recorderStatuses())
                return StatusAnswer(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
            default:
                return StatusAnswer(status: .notFound, contentType: "text/plain; charset=utf-8", body: "not found\n")
            }
        }
    }
}

/// One answer of the status server.
struct StatusAnswer: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: String
}

/// Binds, serves until graceful shutdown (or cancellation), then closes the listener.
struct StatusService: Service {
    let host: String
    let port: Int
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void
    let answer: @Sendable (String) async -> StatusAnswer

    func run() async throws {
        let answer = self.answer
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // An idle connection is closed after a minute: no client holds one forever.
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(60)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StatusHandler(answer: answer))
                }
            }
            .bind(host: host, port: port).get()
        await onListening(channel.localAddress?.port ?? port)
        logger.debug("status server listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Reads a request head, ignores any body, answers GET (and HEAD) of the two paths; other
/// methods get 405. Keep-alive as the client asks.
final class StatusHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let answer: @Sendable (String) async -> StatusAnswer

    init(answer: @escaping @Sendable (String) async -> StatusAnswer) { self.answer = answer }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let path = String(head.uri.prefix { $0 != "?" })
        let keepAlive = head.isKeepAlive
        let version = head.version
        let isHead = head.method == .HEAD
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        guard head.method == .GET || isHead else {
            write(StatusAnswer(status: .methodNotAllowed, contentType: "text/plain; charset=utf-8", body: "GET only\n"),
                  version: version, keepAlive: keepAlive, bodyless: false, context: context)
            return
        }
        let answer = self.answer
        Task {
            let result = await answer(path)
            loop.execute {
                let (handler, context) = bound.value
                guard context.channel.isActive else { return }
                handler.write(result, version: version, keepAlive: keepAlive, bodyless: isHead, context: context)
            }
        }
    }

    private func write(_ answer: StatusAnswer, version: HTTPVersion, keepAlive: Bool, bodyless: Bool,
                       context: ChannelHandlerContext) {
        let body = context.channel.allocator.buffer(string: answer.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Server", value: "fleet-agent")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: answer.status, headers: headers))),
                      promise: nil)
        if !bodyless { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
