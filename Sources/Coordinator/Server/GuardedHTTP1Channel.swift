import FleetProtocol
import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Limits that keep slow, idle or too many connections from starving the coordinator.
public struct ConnectionLimits: Sendable {
    /// Open connections at most; the next one is closed at once (logged once per episode).
    public var maxConnections: Int
    /// A connection with no request in flight is closed after this long. It also bounds
    /// reading a request's headers (a slowloris sends no complete head, so it stays idle).
    public var idleTimeout: Duration
    /// Reading one request, from its head to the end of its body, takes at most this long.
    /// A parked watch has read its request already, so it is not affected.
    public var requestTimeout: Duration
    /// Largest request head (request line and headers) accepted.
    public var maxHeaderBytes: Int

    public init(maxConnections: Int = 1024, idleTimeout: Duration = .seconds(60), requestTimeout: Duration = .seconds(30),
                maxHeaderBytes: Int = 32 * 1024) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxHeaderBytes = maxHeaderBytes
    }
}

extension ConnectionLimits {
    /// Parses `500ms`, `30s`, `2m` or a bare number of seconds; `nil` when not a positive duration.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var scale = 1.0
        for (suffix, factor) in units where number.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }
}

/// Counts open connections; says once per episode when the cap is reached.
final class ConnectionLimiter: Sendable {
    private struct State { var open = 0; var refusing = false }
    private let state = NIOLockedValueBox(State())
    let limit: Int
    let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// Whether a new connection may be served; when yes, it must call `release` when closed.
    func admit() -> Bool {
        let (admitted, startedRefusing) = state.withLockedValue { state -> (Bool, Bool) in
            if state.open >= limit {
                defer { state.refusing = true }
                return (false, !state.refusing)
            }
            state.open += 1
            return (true, false)
        }
        if startedRefusing {
            logger.warning("connection limit reached: \(limit) open connections; refusing new ones until some close (--max-connections)")
        }
        return admitted
    }

    func release() {
        let recovered = state.withLockedValue { state -> Bool in
            state.open -= 1
            if state.refusing, state.open < limit {
                state.refusing = false
                return true
            }
            return false
        }
        if recovered { logger.notice("connection limit no longer reached; accepting connections again") }
    }
}

/// Hummingbird's HTTP/1 child channel with the coordinator's guards: the connection cap,
/// the idle timeout (Hummingbird's), the request timeout and the JSON envelope for errors the
/// HTTP decoder raises before any route runs.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    let limiter: ConnectionLimiter
    let limits: ConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard limiter.admit() else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        let limiter = self.limiter
        channel.closeFuture.whenComplete { _ in limiter.release() }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the coordinator's connection guards.
    static func guardedHTTP1(limits: ConnectionLimits, logger: Logger) -> HTTPServerBuilder {
        let limiter = ConnectionLimiter(limit: limits.maxConnections, logger: logger)
        return .init { responder in
            let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
                maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes)
            let configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    HTTPGuardHandler(requestTimeout: TimeAmount(limits.requestTimeout), maxHeaderBytes: limits.maxHeaderBytes)
                ],
                idleTimeout: TimeAmount(limits.idleTimeout),
                httpDecoderConfiguration: decoder)
            return GuardedHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: configuration),
                                       limiter: limiter, limits: limits)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Answers HTTP decoder errors (bad request line, oversized head) and requests that are read
/// too slowly with the JSON error envelope, then closes the connection.
final class HTTPGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let requestTimeout: TimeAmount
    private let maxHeaderBytes: Int
    /// A request head was read and its response has not ended.
    private var requestOpen = false
    private var responseStarted = false
    private var answered = false
    private var timer: Scheduled<Void>?
    /// An agent build upload (`POST /v1/agent/builds/…`, up to 256 MiB): its timeout counts from
    /// the last body part received, so a large upload over a slow link is not cut off while it moves.
    private var restartsOnBody = false

    init(requestTimeout: TimeAmount, maxHeaderBytes: Int) {
        self.requestTimeout = requestTimeout
        self.maxHeaderBytes = maxHeaderBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestOpen = true
            responseStarted = false
            restartsOnBody = head.method == .post && (head.path ?? "").hasPrefix("/v1/agent/builds/")
            startTimer(context: context)
        case .body:
            if restartsOnBody { startTimer(context: context) }
        case .end:
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    private func startTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: requestTimeout) {
            let (handler, context) = loopBound.value
            handler.requestTimedOut(context: context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responseStarted = true
        case .body: break
        case .end: requestOpen = false; responseStarted = false
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !responseStarted else {
            context.fireErrorCaught(error)
            return
        }
        let message = parserError == .headerOverflow
            ? "request headers are over the \(Self.describe(bytes: maxHeaderBytes)) limit"
            : "malformed HTTP request: \(parserError)"
        answer(context: context, status: .badRequest, code: ErrorCode.badRequest, message: message)
    }

    private func requestTimedOut(context: ChannelHandlerContext) {
        timer = nil
        guard requestOpen, !responseStarted else { return }
        answer(context: context, status: .requestTimeout, code: ErrorCode.timeout,
               message: "request not received within the \(Self.describe(requestTimeout)) request timeout")
    }

    private func answer(context: ChannelHandlerContext, status: HTTPResponse.Status, code: String, message: String) {
        guard !answered else { return }
        answered = true
        responseStarted = true
        let data = (try? WireCoding.encode(ErrorEnvelope(code: code, message: message)))
            ?? Data(#"{"error":{"code":"bad_request","message":"malformed HTTP request"}}"#.utf8)
        let head = HTTPResponse(status: status, headerFields: [
            .contentType: "application/json", .contentLength: String(data.count), .connection: "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: data))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    static func describe(bytes: Int) -> String {
        if bytes % (1024 * 1024) == 0 { return "\(bytes / (1024 * 1024)) MiB" }
        if bytes % 1024 == 0 { return "\(bytes / 1024) KiB" }
        return "\(bytes) bytes"
    }

    static func describe(_ amount: TimeAmount) -> String {
        let millis = amount.nanoseconds / 1_000_000
        return millis % 1000 == 0 ? "\(millis / 1000) s" : "\(millis) ms"
    }
}
