import NIOCore

/// Joins the writes of one flush into one buffer before TLS, so they travel as one TLS record.
///
/// NIO's HTTP/2 handler writes a DATA frame's 9-byte header and its payload as separate
/// buffers, and NIOSSL seals every buffer as its own record (22 bytes of overhead each with
/// TLS 1.3): an empty heartbeat answer went out as 4 records, 88 bytes of overhead for about
/// 110 bytes of frames. Buffers are joined up to ``limit`` (below one TLS record's 16 KiB);
/// larger writes, such as a build download's chunks, pass as they are.
///
/// ```swift
/// let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
/// try channel.pipeline.syncOperations.addHandler(WriteCoalescingHandler(), position: .after(tls))
/// ```
final class WriteCoalescingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let limit = 16 * 1024 - 512
    private var pending: ByteBuffer?
    private var pendingPromise: EventLoopPromise<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        if var merged = pending, merged.readableBytes + buffer.readableBytes <= Self.limit {
            pending = nil
            merged.writeBuffer(&buffer)
            pending = merged
            if let promise {
                if let pendingPromise { pendingPromise.futureResult.cascade(to: promise) } else { pendingPromise = promise }
            }
            return
        }
        writePending(context: context)
        if buffer.readableBytes <= Self.limit {
            pending = buffer
            pendingPromise = promise
        } else {
            context.write(data, promise: promise)
        }
    }

    func flush(context: ChannelHandlerContext) {
        writePending(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        writePending(context: context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        writePending(context: context)
    }

    private func writePending(context: ChannelHandlerContext) {
        guard let buffer = pending else { return }
        let promise = pendingPromise
        pending = nil
        pendingPromise = nil
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}
