import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP server on 127.0.0.1 (NIO) that records every request and answers with the
/// next status of a configured sequence (the last one repeats).
///
/// ```swift
/// let sink = try await WebhookSink.start(statuses: [500, 500, 200])
/// // … POST to sink.url("/hook") …
/// let requests = try await sink.waitForRequests(count: 3)
/// requests[0].header("Idempotency-Key"); requests[0].body
/// try await sink.stop()
/// ```
final class WebhookSink: Sendable {
    struct Request: Sendable {
        let method: String
        let path: String
        let headers: [(name: String, value: String)]
        let body: Data
        /// The status this request was answered with.
        let answeredStatus: Int

        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    final class State: Sendable {
        let box: NIOLockedValueBox<(statuses: [Int], requests: [Request])>
        init(statuses: [Int]) { box = NIOLockedValueBox((statuses, [])) }

        func record(method: String, path: String, headers: HTTPHeaders, body: Data) -> Int {
            box.withLockedValue { state in
                let status = state.statuses.count > 1 ? state.statuses.removeFirst() : (state.statuses.first ?? 200)
                state.requests.append(Request(method: method, path: path, headers: headers.map { ($0.name, $0.value) },
                                              body: body, answeredStatus: status))
                return status
            }
        }
    }

    let port: Int
    private let channel: any Channel
    private let state: State

    private init(port: Int, channel: any Channel, state: State) {
        self.port = port
        self.channel = channel
        self.state = state
    }

    func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(port)\(path)" }

    static func start(statuses: [Int] = [200]) async throws -> WebhookSink {
        let state = State(statuses: statuses)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RecordingHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw PeerError.failed("webhook sink has no port") }
        return WebhookSink(port: port, channel: channel, state: state)
    }

    var requests: [Request] { state.box.withLockedValue { $0.requests } }

    /// Sets the statuses for the next requests (the last one repeats).
    func answer(with statuses: [Int]) { state.box.withLockedValue { $0.statuses = statuses } }

    func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [Request] {
        let arrived = await waitUntil(timeout: timeout) { self.requests.count >= count }
        guard arrived else { throw PeerError.notReady("\(count) request(s) at the webhook sink (got \(requests.count))", output: "") }
        return requests
    }

    func stop() async throws { try await channel.close() }
}

private final class RecordingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let state: WebhookSink.State
    private var head: HTTPRequestHead?
    private var body = Data()

    init(state: WebhookSink.State) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = Data()
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            guard let head else { return }
            let status = state.record(method: head.method.rawValue, path: head.uri, headers: head.headers, body: body)
            let reply = ByteBuffer(string: "{\"status\":\(status)}")
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(reply.readableBytes)")])
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status),
                                                headers: headers)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(reply))), promise: nil)
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
            self.head = nil
        }
    }
}
