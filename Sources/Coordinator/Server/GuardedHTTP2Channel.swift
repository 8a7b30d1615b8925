import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's TLS channel that negotiates HTTP/2 by ALPN (HTTP/1.1 when the client does
/// not offer h2), with the coordinator's guards: the connection cap, the idle timeout (a
/// connection with no open stream; a parked watch is one), and on every stream the request
/// timeout and the JSON error envelope of ``HTTPGuardHandler``.
///
/// Over HTTP/2 an agent's heartbeats and its parked watch share one connection, and HPACK
/// sends the headers they repeat (path, authorization, user agent) as a byte or two each.
struct GuardedHTTP2Channel: ServerChildChannel {
    typealias Value = HTTP2UpgradeChannel.Value
    let inner: HTTP2UpgradeChannel
    let limiter: ConnectionLimiter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard limiter.admit() else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        let limiter = self.limiter
        channel.closeFuture.whenComplete { _ in limiter.release() }
        let ready = inner.setup(channel: channel, logger: logger)
        do {
            // Between TLS and HTTP: a flush's frames become one TLS record (WriteCoalescingHandler).
            let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            try channel.pipeline.syncOperations.addHandler(WriteCoalescingHandler(), position: .after(tls))
        } catch {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
        return ready
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/2 over TLS (HTTP/1.1 fallback) with the coordinator's connection guards.
    ///
    /// ```swift
    /// let server = HTTPServerBuilder.guardedHTTP2Upgrade(tlsConfiguration: tls, limits: .init(), logger: logger)
    /// ```
    static func guardedHTTP2Upgrade(tlsConfiguration: TLSConfiguration, limits: ConnectionLimits,
                                    logger: Logger) -> HTTPServerBuilder {
        let limiter = ConnectionLimiter(limit: limits.maxConnections, logger: logger)
        return .init { responder in
            let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
                maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes)
            let stream = HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    HTTPGuardHandler(requestTimeout: TimeAmount(limits.requestTimeout), maxHeaderBytes: limits.maxHeaderBytes)
                ],
                idleTimeout: TimeAmount(limits.idleTimeout),
                httpDecoderConfiguration: decoder)
            let configuration = HTTP2ChannelConfiguration(idleTimeout: limits.idleTimeout, streamConfiguration: stream)
            let inner = try HTTP2UpgradeChannel(tlsConfiguration: tlsConfiguration, configuration: configuration,
                                                responder: responder)
            return GuardedHTTP2Channel(inner: inner, limiter: limiter)
        }
    }
}
