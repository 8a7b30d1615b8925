@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// The on-disk journal of queued reports, with real files in a scratch folder: order, cursor,
/// torn-line recovery, the byte cap and its compaction order, and a 20,000-entry backlog.
@Suite struct ReportJournalTests {
    static let logger: Logger = { var l = Logger(label: "journal-test"); l.logLevel = .critical; return l }()

    static func segment(_ i: Int, station: String = "ROST1") -> QueuedReport {
        .segment(SegmentRecord(station: station, name: String(format: "\(station)_20260101T%06d.mkv", i), start: Date(timeIntervalSince1970: Double(i)),
                               durationSeconds: 1, bytes: 1000, valid: true))
    }

    /// Whole-second times: the journal stores dates as ISO 8601 with milliseconds.
    static func event(_ id: String) -> QueuedReport {
        .event(AgentEvent(id: id, time: Date(timeIntervalSince1970: 1_700_000_000), kind: "test.event", message: "event \(id)"))
    }

    static func run(_ i: Int, job: String) -> QueuedReport {
        .jobRun(JobRun(id: "\(job)-\(i)", job: job, kind: .archive, startedAt: Date(timeIntervalSince1970: Double(i)),
                       durationSeconds: 1, files: 1, bytes: 10, outcome: .succeeded))
    }

    static func chunkFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("chunk-") }.sorted()
    }

    @Test func appendsInOrderAndAcknowledgedEntriesStayGoneAfterReopening() throws {
        let dir = try TempDir("journal-order")
        defer { dir.cleanup() }
        let journal = ReportJournal(directory: dir.path, logger: Self.logger)
        journal.enqueue([Self.event("e1"), Self.segment(1), Self.event("e2"), Self.segment(2), Self.event("e3")])
        try journal.flush()
        #expect(journal.entriesInMemory == 0, "flushed entries are on disk, not in memory")
        let batch = journal.nextBatch(maxPerKind: 500)
        #expect(batch.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(batch.map(\.item) == [Self.event("e1"), Self.segment(1), Self.event("e2"), Self.segment(2), Self.event("e3")])
        journal.acknowledge(through: 3)
        try journal.flush()

        let reopened = ReportJournal(directory: dir.path, logger: Self.logger)
        #expect(reopened.pendingCount == 2)
        #expect(reopened.nextBatch(maxPerKind: 500).map(\.item) == [Self.segment(2), Self.event("e3")])
        reopened.enqueue([Self.event("e4")])
        try reopened.flush()
        #expect(reopened.nextBatch(maxPerKind: 500).map(\.seq) == [4, 5, 6], "sequence numbers keep growing across restarts")
    }

    @Test func aBatchEndsAtTheFirstFullKindSoDeliveryStaysInOrder() throws {
        let dir = try TempDir("journal-batch")
        defer { dir.cleanup() }
        let journal = ReportJournal(directory: dir.path, logger: Self.logger)
        journal.enqueue([Self.segment(1), Self.segment(2), Self.event("e1"), Self.segment(3), Self.event("e2")])
        try journal.flush()
        #expect(journal.nextBatch(maxPerKind: 2).map(\.seq) == [1, 2, 3], "stops before the third segment, the event after it waits")
    }

    @Test func aTornLastLineIsCutOffOnOpenNeverFatal() throws {
        let dir = try TempDir("journal-torn")
        defer { dir.cleanup() }
        let journal = ReportJournal(directory: dir.path, logger: Self.logger)
        journal.enqueue([Self.segment(1), Self.segment(2)])
        try journal.flush()
        let chunk = dir.path + "/" + (try #require(Self.chunkFiles(dir.path).first))
        let good = try #require(FileIO.stat(chunk)).size
        // A power cut mid-append: a zero-filled block and half a line.
        let handle = try #require(FileHandle(forWritingAtPath: chunk))
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 0, 0, 0x0A]) + Data("3 segment {\"station\":\"ROS".utf8))
        try handle.close()

        let reopened = ReportJournal(directory: dir.path, logger: Self.logger)
        #expect(reopened.pendingCount == 2)
        #expect(try #require(FileIO.stat(chunk)).size == good, "the torn tail is cut off")
        reopened.enqueue([Self.segment(3)])
        try reopened.flush()
        let again = ReportJournal(directory: dir.path, logger: Self.logger)
        #expect(again.nextBatch(maxPerKind: 500).map(\.item) == [Self.segment(1), Self.segment(2), Self.segment(3)])
    }

    @Test func deliveredChunksAreDeleted() throws {
        let dir = try TempDir("journal-chunks")
        defer { dir.cleanup() }
        let journal = ReportJournal(directory: dir.path, maxBytes: 64 << 10, logger: Self.logger)
        for start in stride(from: 0, to: 300, by: 30) {
            journal.enqueue((start..<start + 30).map { Self.segment($0) })
            try journal.flush()
        }
        #expect(Self.chunkFiles(dir.path).count > 1, "16 KiB chunks at a 64 KiB cap")
        var delivered = 0
        for _ in 0..<10 {
            let batch = journal.nextBatch(maxPerKind: 100)
            guard let last = batch.last else { break }
            delivered += batch.count
            journal.acknowledge(through: last.seq)
            try journal.flush()
        }
        #expect(delivered == 300)
        #expect(Self.chunkFiles(dir.path).isEmpty)
        #expect(journal.pendingCount == 0 && journal.diskBytes == 0)
        #expect(ReportJournal(directory: dir.path, logger: Self.logger).deliveredThrough == 300, "the cursor is on disk")
    }

    @Test func overTheCapOlderJobRunsAreCompactedAndSegmentsAndEventsKept() throws {
        let dir = try TempDir("journal-cap")
        defer { dir.cleanup() }
        let cap: Int64 = 64 << 10
        let journal = ReportJournal(directory: dir.path, maxBytes: cap, logger: Self.logger)
        for i in 0..<400 {
            var items = [Self.run(i, job: i % 2 == 0 ? "nightly" : "hourly")]
            if i % 4 == 0 { items.append(Self.segment(i)) }
            if i % 8 == 0 { items.append(Self.event("e\(i)")) }
            journal.enqueue(items)
            if i % 20 == 19 { try journal.flush() }
        }
        try journal.flush()
        let items = journal.pendingItems()
        let segments = items.filter { if case .segment = $0 { true } else { false } }
        let events = items.compactMap { if case .event(let e) = $0 { e } else { nil } }
        let runs = items.compactMap { if case .jobRun(let r) = $0 { r } else { nil } }
        #expect(segments == (0..<400).filter { $0 % 4 == 0 }.map { Self.segment($0) }, "every segment, in order")
        #expect(events.filter { $0.kind == "test.event" }.map(\.id) == (0..<400).filter { $0 % 8 == 0 }.map { "e\($0)" })
        #expect(runs.count < 400, "older job runs were compacted")
        #expect(runs.contains { $0.id == "nightly-398" } && runs.contains { $0.id == "hourly-399" }, "the latest run of each job stays")
        #expect(events.contains { $0.kind == "agent.outbox-compacted" && $0.message.contains("older job runs") })
        #expect(journal.diskBytes <= cap && !journal.isOverCap)
    }

    @Test func segmentsAloneOverTheCapAreKeptAndFlagged() throws {
        let dir = try TempDir("journal-overcap")
        defer { dir.cleanup() }
        let journal = ReportJournal(directory: dir.path, maxBytes: 64 << 10, logger: Self.logger)
        for start in stride(from: 0, to: 600, by: 50) {
            journal.enqueue((start..<start + 50).map { Self.segment($0) })
            try journal.flush()
        }
        #expect(journal.diskBytes > 64 << 10)
        #expect(journal.isOverCap)
        #expect(journal.pendingCount == 600)
        #expect(journal.pendingItems() == (0..<600).map { Self.segment($0) })
    }

    /// A week-long outage's worth: 20,000 entries queued, then drained in 500-entry batches;
    /// only one batch is ever read into memory (the speed and RSS are in BENCHMARKS.md).
    @Test func twentyThousandEntriesDrainInOrderedBatches() throws {
        let dir = try TempDir("journal-20k")
        defer { dir.cleanup() }
        let journal = ReportJournal(directory: dir.path, logger: Self.logger)
        for start in stride(from: 0, to: 20_000, by: 500) {
            journal.enqueue((start..<start + 500).map { Self.segment($0) })
            try journal.flush()
            #expect(journal.entriesInMemory == 0)
        }
        #expect(journal.pendingCount == 20_000)
        #expect(journal.diskBytes > 20_000 * 100)
        var seen = 0, batches = 0, lastSeq: UInt64 = 0, ordered = true
        while batches < 100 {
            let batch = journal.nextBatch(maxPerKind: ReportLimits.maxItems)
            guard let last = batch.last else { break }
            #expect(batch.count <= ReportLimits.maxItems)
            for entry in batch {
                ordered = ordered && entry.seq == lastSeq + 1 && entry.item == Self.segment(Int(entry.seq) - 1)
                lastSeq = entry.seq
            }
            seen += batch.count
            batches += 1
            journal.acknowledge(through: last.seq)
            try journal.flush()
        }
        #expect(ordered)
        #expect(seen == 20_000 && batches == 40)
        #expect(journal.pendingCount == 0 && Self.chunkFiles(dir.path).isEmpty)
    }

    @Test func anOldOutboxFileMovesIntoTheJournal() async throws {
        let dir = try TempDir("journal-migrate")
        defer { dir.cleanup() }
        let state = try AgentStateDir(path: dir.path, logger: Self.logger)
        var old = Outbox()
        let at = Date(timeIntervalSince1970: 1_700_000_000)
        old.events = [AgentEvent(id: "old-e", time: at, kind: "k", message: "m")]
        old.segments = [SegmentRecord(station: "ROST1", name: "ROST1_20260101T000000.mkv", start: at, durationSeconds: 1, bytes: 1, valid: true)]
        old.doneCommands = ["c1"]
        try state.saveOutbox(old)
        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: dir.path, statusListen: nil)
        let agent = NodeAgent(configuration: configuration, client: FakeCoordinator(), state: state, logger: Self.logger,
                              metrics: AgentMetrics(), recorders: nil, jobs: nil)
        await agent.flushOutbox()
        let rewritten = state.loadOutbox()
        #expect(rewritten.events.isEmpty && rewritten.segments.isEmpty)
        #expect(rewritten.doneCommands == ["c1"])
        let journal = ReportJournal(directory: dir.path + "/outbox", logger: Self.logger)
        #expect(journal.pendingItems() == [.event(old.events[0]), .segment(old.segments[0])])
    }

    @Test func sizesParse() {
        #expect(ReportJournal.parseSize("256M") == 256 << 20)
        #expect(ReportJournal.parseSize("1GiB") == 1 << 30)
        #expect(ReportJournal.parseSize("64k") == 64 << 10)
        #expect(ReportJournal.parseSize("1048576") == 1 << 20)
        #expect(ReportJournal.parseSize("12X") == nil)
        #expect(ReportJournal.parseSize("-5") == nil)
    }
}
