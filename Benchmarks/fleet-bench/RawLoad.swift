import Foundation
import NIOCore
import NIOPosix

/// A closed-loop HTTP/1.1 load generator on plain SwiftNIO channels: each connection sends a
/// request built in advance, waits for the whole answer, records its latency and sends the
/// next, until the deadline. It measures what `HeartbeatBench.load` measures (one request in
/// flight per connection, latency per request) at a fraction of AsyncHTTPClient's CPU per
/// request, which matters when the load generator shares the machine with the coordinators
/// it measures: every cycle it spends is one the coordinators do not get.
///
/// Usage:
///
///     let result = try await RawLoad.run(targets: urls, connections: 64, seconds: 10, threads: 1) { worker, iteration in
///         requests[(worker + iteration * 64) % requests.count]
///     }
enum RawLoad {
    /// One HTTP/1.1 request as bytes on the wire, with its `Host` header.
    static func request(_ method: String, _ path: String, host: String, token: String?, body: Data? = nil) -> ByteBuffer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        else if method == "POST" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        var buffer = ByteBuffer(string: head)
        if let body { buffer.writeBytes(body) }
        return buffer
    }

    /// Runs `connections` connections, connection `w` to `targets[w % targets.count]` (a
    /// base URL `http://host:port`), each sending `next(w, iteration)` one after another for
    /// `seconds`. A non-2xx answer or a connection lost before the deadline counts as an error.
    static func run(targets: [String], connections: Int, seconds: Int, threads: Int,
                    next: @escaping @Sendable (Int, Int) -> ByteBuffer) async throws -> HeartbeatBench.Result {
        let addresses = try targets.map(Self.address(of:))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let start = NIODeadline.now()
        let deadline = start + .seconds(Int64(seconds))
        var outcomes: [EventLoopFuture<Outcome>] = []
        do {
            for worker in 0..<connections {
                let loop = group.next()
                let done = loop.makePromise(of: Outcome.self)
                let channel = ClientBootstrap(group: loop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                Connection(worker: worker, deadline: deadline, next: next, done: done))
                        }
                    }
                    .connect(to: addresses[worker % addresses.count])
                channel.whenFailure { done.fail($0) }
                outcomes.append(done.futureResult)
            }
            var all = LatencyStats()
            var errors = 0
            for outcome in outcomes {
                let result = try await outcome.get()
                all.merge(result.stats)
                errors += result.errors
            }
            let wall = Double((NIODeadline.now() - start).nanoseconds) / 1e9
            try await group.shutdownGracefully()
            return HeartbeatBench.Result(rate: Double(all.count) / wall, stats: all, errors: errors)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func address(of url: String) throws -> SocketAddress {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
            throw BenchError("not a base URL with host and port: \(url)")
        }
        return try SocketAddress(ipAddress: host, port: port)
    }

    struct Outcome: Sendable {
        var stats: LatencyStats
        var errors: Int
    }

    /// One connection's loop; all of its state lives on its event loop.
    private final class Connection: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let worker: Int
        private let deadline: NIODeadline
        private let next: @Sendable (Int, Int) -> ByteBuffer
        private var done: EventLoopPromise<Outcome>?
        private var iteration = 0
        private var began = NIODeadline.now()
        private var received = ByteBuffer()
        private var stats = LatencyStats()
        private var errors = 0

        init(worker: Int, deadline: NIODeadline, next: @escaping @Sendable (Int, Int) -> ByteBuffer,
             done: EventLoopPromise<Outcome>) {
            self.worker = worker
            self.deadline = deadline
            self.next = next
            self.done = done
        }

        func channelActive(context: ChannelHandlerContext) { send(context: context) }

        private func send(context: ChannelHandlerContext) {
            began = .now()
            context.writeAndFlush(wrapOutboundOut(next(worker, iteration)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.writeBuffer(&bytes)
            switch ResponseFraming.take(from: &received) {
            case .incomplete: return
            case .malformed(let reason):
                errors += 1
                context.fireErrorCaught(BenchError("unreadable answer: \(reason)"))
                finish(context: context)
            case .complete(let status):
                let now = NIODeadline.now()
                stats.add(Double((now - began).nanoseconds) / 1e9)
                if !(200..<300).contains(status) { errors += 1 }
                iteration += 1
                if now < deadline, iteration < 10_000_000 { send(context: context) } else { finish(context: context) }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            errors += 1
            finish(context: context)
        }

        func channelInactive(context: ChannelHandlerContext) {
            // Closed by the other side before the deadline: the request in flight is lost.
            if done != nil { errors += 1 }
            finish(context: context)
        }

        private func finish(context: ChannelHandlerContext) {
            guard let done else { return }
            self.done = nil
            done.succeed(Outcome(stats: stats, errors: errors))
            context.close(promise: nil)
        }
    }
}

/// Finds the end of one HTTP/1.1 answer framed by `Content-Length` (or without a body: 204,
/// 304) in the bytes received so far; the coordinator frames every short answer so. Chunked
/// answers are reported as malformed: nothing this benchmark asks for is answered chunked.
enum ResponseFraming: Equatable {
    case incomplete
    case complete(status: Int)
    case malformed(String)

    /// Consumes one complete answer from `buffer`, or nothing.
    static func take(from buffer: inout ByteBuffer) -> ResponseFraming {
        let view = buffer.readableBytesView
        guard let headEnd = Self.headEnd(in: view) else {
            return view.count > 64 * 1024 ? .malformed("no end of head in 64 KiB") : .incomplete
        }
        let head = String(decoding: view[view.startIndex..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            return .malformed("status line \(lines.first ?? "")")
        }
        var length = 0
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") {
                guard let value = Int(lower.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else {
                    return .malformed(String(line))
                }
                length = value
            } else if lower.hasPrefix("transfer-encoding:") {
                return .malformed("chunked answer")
            }
        }
        if status == 204 || status == 304 { length = 0 }
        let total = (headEnd - view.startIndex) + 4 + length
        guard view.count >= total else { return .incomplete }
        buffer.moveReaderIndex(forwardBy: total)
        buffer.discardReadBytes()
        return .complete(status: status)
    }

    /// Where the head's closing CRLF CRLF starts, if it has arrived.
    private static func headEnd(in view: ByteBufferView) -> ByteBufferView.Index? {
        guard view.count >= 4 else { return nil }
        var index = view.startIndex
        while index <= view.endIndex - 4 {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 { return index }
            index += 1
        }
        return nil
    }
}
