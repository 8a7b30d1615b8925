@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

@Suite struct RemoteOutputBookTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test func readsFromACursorAndDropsWhatTheReaderHas() {
        var buffer = LogBuffer(created: t0)
        buffer.append(["a", "b", "c"], final: false, now: t0)
        var chunk = buffer.read(from: 0)
        #expect(chunk.lines == ["a", "b", "c"] && chunk.cursor == 3 && !chunk.done)
        buffer.append(["d"], final: true, now: t0)
        chunk = buffer.read(from: 3)
        #expect(chunk.lines == ["d"] && chunk.cursor == 4 && chunk.done)
        #expect(buffer.base == 3, "lines before the cursor are gone")
        #expect(buffer.read(from: 4).done && buffer.read(from: 4).lines.isEmpty)
    }

    @Test func keepsAtMostTheByteLimitAndTellsASlowReaderWhatItMissed() {
        var buffer = LogBuffer(created: t0)
        let line = String(repeating: "x", count: 1023)  // 1 KiB with its newline
        buffer.append(Array(repeating: line, count: 1500), final: false, now: t0)
        #expect(buffer.heldBytes <= RemoteOutputLimits.maxLogBytes)
        let chunk = buffer.read(from: 0)
        #expect(chunk.skipped == 1500 - 1024)
        #expect(chunk.lines.count == 1024 && chunk.cursor == 1500)
        var long = LogBuffer(created: t0)
        long.append([String(repeating: "y", count: 100_000)], final: true, now: t0)
        #expect(long.read(from: 0).lines[0].utf8.count <= RemoteOutputLimits.maxLineBytes)
    }

    @Test func aFollowerIsPresentWhilePollingAndForThreeSecondsAfter() {
        var buffer = LogBuffer(created: t0)
        #expect(buffer.isFollowed(now: t0.addingTimeInterval(1)))
        #expect(!buffer.isFollowed(now: t0.addingTimeInterval(4)))
        buffer.pollBegan(now: t0.addingTimeInterval(4))
        #expect(buffer.isFollowed(now: t0.addingTimeInterval(60)), "a held poll counts however long it waits")
        buffer.pollEnded(now: t0.addingTimeInterval(60))
        #expect(buffer.isFollowed(now: t0.addingTimeInterval(62)))
        #expect(!buffer.isFollowed(now: t0.addingTimeInterval(63.5)))
    }

    @Test func limitsOpenRequestsPerNodeAndRate() {
        var book = RemoteOutputBook()
        #expect(book.admit(openForNode: RemoteOutputBook.maxOpenPerNode, now: t0) == .retryAfter(5))
        var allowed = 0
        for _ in 0..<200 where book.admit(openForNode: 0, now: t0) == .allowed { allowed += 1 }
        #expect(allowed == 120)
        #expect(book.admit(openForNode: 0, now: t0.addingTimeInterval(1)) == .allowed, "5 a second after the burst")
    }

    @Test func dropsBuffersOfEndedCommandsAfterAMinute() {
        var book = RemoteOutputBook()
        book.open("c1", now: t0)
        book.open("c2", now: t0)
        _ = book.appendLogs("c1", ["line"], final: true, now: t0)
        book.expire(now: t0.addingTimeInterval(61)) { $0 == "c2" }
        #expect(!book.hasBuffer("c1") && book.hasBuffer("c2"))
    }

    @Test func aFollowedCommandIsExtendedAndNotRedelivered() {
        var queue = CommandQueue()
        var view = CommandQueue.make(kind: .stationLogs, target: "ROST1", node: "pi1", now: t0)
        view.expiresAt = t0.addingTimeInterval(60)
        view.logs = LogRequest(tail: 10, follow: true)
        queue.add(view)
        let delivered = queue.takeForDelivery(node: "pi1", now: t0)
        #expect(delivered.first?.logs == LogRequest(tail: 10, follow: true))
        queue.extend(view.id, until: t0.addingTimeInterval(100), now: t0.addingTimeInterval(40))
        let sweep = queue.sweep(now: t0.addingTimeInterval(65))  // past the original expiry, within 30 s of the upload
        #expect(sweep.expired.isEmpty && sweep.redeliver.isEmpty)
        #expect(queue.sweep(now: t0.addingTimeInterval(101)).expired.map(\.id) == [view.id])
        #expect(queue.openCount(node: "pi1") { $0.uploadsOutput } == 0)
    }

    @Test func boundsOfRequestsAndUploads() {
        #expect(LogRequest(tail: 0).problem != nil)
        #expect(LogRequest(tail: 10_001).problem != nil)
        #expect(LogRequest(tail: 200, sinceSeconds: 0).problem != nil)
        #expect(LogRequest(tail: 200, sinceSeconds: 3600, follow: true).problem == nil)
        #expect(LogUpload(lines: Array(repeating: "x", count: 10_001), final: true).problem != nil)
        #expect(LogUpload(lines: [String(repeating: "x", count: 2 << 20)], final: true).problem != nil)
        #expect(SnapshotUpload(jpeg: Data([1, 2, 3, 4]), capturedAt: t0, segment: "s").problem != nil)
        #expect(SnapshotUpload(jpeg: Data([0xFF, 0xD8, 0, 0xFF, 0xD9]), capturedAt: t0, segment: "s").problem == nil)
        var big = Data([0xFF, 0xD8])
        big.append(Data(count: RemoteOutputLimits.maxSnapshotBytes))
        big.append(Data([0xFF, 0xD9]))
        #expect(SnapshotUpload(jpeg: big, capturedAt: t0, segment: "s").problem?.contains("limit") == true)
    }
}
