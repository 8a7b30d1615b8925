// A purpose-built HTTP server on 127.0.0.1 that answers every request with one fixed answer.
//
// A stub is needed ONLY for failures the real coordinator does not produce on demand: a
// coordinator that answers 500, or one that hangs past fleetctl's timeout. Everything else
// runs against the real coordinator (TestCoordinator.swift).
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

final class MisbehavingServer: Sendable {
    private let channel: any Channel
    let url: String

    private init(channel: any Channel, url: String) {
        self.channel = channel
        self.url = url
    }

    enum StartError: Error { case noPort }

    /// Answers every request with `status` and the JSON `body`, after `delay` if given.
    static func start(status: Int, body: String, delay: TimeAmount? = nil) async throws -> MisbehavingServer {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        FixedAnswerHandler(status: status, body: Data(body.utf8), delay: delay))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw StartError.noPort }
        return MisbehavingServer(channel: channel, url: "http://127.0.0.1:\(port)")
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class FixedAnswerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let status: Int
    let body: Data
    let delay: TimeAmount?

    init(status: Int, body: Data, delay: TimeAmount?) {
        self.status = status
        self.body = body
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        let parts: [HTTPServerResponsePart] = [
            .head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)),
            .body(.byteBuffer(ByteBuffer(bytes: body))), .end(nil),
        ]
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let answer = {
            for part in parts { bound.value.write(NIOAny(part), promise: nil) }
            bound.value.flush()
        }
        if let delay {
            context.eventLoop.scheduleTask(in: delay, answer)
        } else {
            answer()
        }
    }
}
