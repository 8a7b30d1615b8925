@testable import FleetCoordinator
import NIOCore
import NIOEmbedded
import Testing

/// The writes of one flush leave as one buffer (one TLS record), large ones as they are.
@Suite struct WriteCoalescingTests {
    @Test func aFlushsSmallWritesBecomeOneBuffer() throws {
        let channel = EmbeddedChannel(handler: WriteCoalescingHandler())
        defer { _ = try? channel.finish() }
        let frames = ["header-9b", "{\"desiredRevision\":0}", ""].map { ByteBuffer(string: $0) }
        let written = frames.map { channel.write($0) }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)  // nothing before the flush
        channel.flush()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "header-9b{\"desiredRevision\":0}"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        // Every write's promise completes with the joined write.
        #expect(written.allSatisfy { (try? $0.wait()) != nil })

        // A write beyond the limit passes on its own, after what was pending.
        let large = ByteBuffer(repeating: 7, count: WriteCoalescingHandler.limit + 1)
        channel.write(ByteBuffer(string: "small"), promise: nil)
        channel.writeAndFlush(large, promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "small"))
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.readableBytes == WriteCoalescingHandler.limit + 1)
    }
}
