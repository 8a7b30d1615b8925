import FleetProtocol
import FoundationEssentials
import Logging
import Synchronization

/// Everything the agent must report — events, segment catalog entries, job runs — queued on
/// disk until a coordinator acknowledged it, so a node cut off for a week loses nothing.
///
/// An append-only journal of numbered chunk files (`SEQ KIND JSON` lines, fsync'd on every
/// flush) and a cursor file naming the last acknowledged sequence number. Only the next batch
/// is read into memory, however long the backlog. A power cut at any point loses nothing: a
/// torn last line is cut off on open, and entries acknowledged just before the cursor was
/// written are sent again (the coordinator stores segments by station and name, events and
/// job runs by id, so a resend is not a duplicate).
///
/// Bounded by `maxBytes`: over it, older runs of each job are compacted (the latest kept and
/// an `agent.outbox-compacted` event says how many went); segments and events are never
/// dropped before delivery — if they alone exceed the cap they are kept, an error is logged
/// once and `isOverCap` (the `stationfleet_agent_outbox_over_cap` metric) says so.
///
/// ```swift
/// let journal = ReportJournal(directory: stateDir + "/outbox", maxBytes: 256 << 20, logger: logger)
/// journal.enqueue([.segment(record)])
/// try journal.flush()                                  // on disk, fsync'd
/// let batch = journal.nextBatch(maxPerKind: 500)       // oldest first
/// // … the coordinator acknowledged a report carrying `batch` …
/// journal.acknowledge(through: batch.last!.seq)
/// try journal.flush()                                  // cursor written, delivered chunks deleted
/// ```
public final class ReportJournal: Sendable {
    /// The default cap of `--outbox-max-bytes`: 256 MiB, about a million segment entries.
    public static let defaultMaxBytes: Int64 = 256 << 20

    /// The smallest cap `--outbox-max-bytes` accepts.
    public static let minimumMaxBytes: Int64 = 64 << 10

    /// A size as `--outbox-max-bytes` takes it: bytes, or a number with K, M or G (KiB, MiB, GiB).
    ///
    /// ```swift
    /// ReportJournal.parseSize("256M")   // 268435456
    /// ```
    public static func parseSize(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = text.trimmedWhitespace.uppercased()
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) {
            let stem = digits.dropLast(suffix.count)
            if let unit = stem.last, units[unit] != nil { digits = String(stem); break }
        }
        var multiplier: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits.removeLast()
        }
        guard let value = Int64(digits), value > 0, value <= Int64.max / multiplier else { return nil }
        return value * multiplier
    }

    public let directory: String
    private let core: Mutex<JournalCore>
    private let logger: Logger

    /// Opens (or creates) the journal in `directory`; never fails: an unusable directory is
    /// logged and retried on each flush while entries wait in memory (bounded).
    public init(directory: String, maxBytes: Int64 = ReportJournal.defaultMaxBytes, logger: Logger) {
        self.directory = directory
        self.logger = logger
        var core = JournalCore(directory: directory, maxBytes: max(1, maxBytes))
        let notes = core.notes
        core.notes = []
        self.core = Mutex(core)
        log(notes)
    }

    /// Queues items in memory; `flush()` puts them on disk.
    public func enqueue(_ items: [QueuedReport]) {
        guard !items.isEmpty else { return }
        log(core.withLock { core in
            core.enqueue(items)
            return core.takeNotes()
        })
    }

    /// Appends what is queued in memory (fsync), writes the cursor, deletes delivered chunks and
    /// compacts when over the cap. Throws when the state dir cannot take it; nothing is lost then.
    public func flush() throws {
        let (notes, error): ([(Logger.Level, String)], (any Error)?) = core.withLock { core in
            do {
                try core.flush()
                return (core.takeNotes(), nil)
            } catch {
                return (core.takeNotes(), error)
            }
        }
        log(notes)
        if let error { throw error }
    }

    /// The oldest unacknowledged entries, in order, at most `maxPerKind` of each kind.
    public func nextBatch(maxPerKind: Int) -> [JournalEntry] {
        let (batch, notes) = core.withLock { core in (core.nextBatch(maxPerKind: maxPerKind), core.takeNotes()) }
        log(notes)
        return batch
    }

    /// Everything up to and including `seq` was acknowledged; `flush()` persists it.
    public func acknowledge(through seq: UInt64) {
        core.withLock { $0.acknowledge(through: seq) }
    }

    /// Acknowledges the longest run of oldest entries for which `carried` holds (one batch at
    /// most); returns whether any was.
    public func acknowledgePrefix(maxPerKind: Int, where carried: (QueuedReport) -> Bool) -> Bool {
        let (acknowledged, notes) = core.withLock { core in
            var through: UInt64?
            for entry in core.nextBatch(maxPerKind: maxPerKind) {
                guard carried(entry.item) else { break }
                through = entry.seq
            }
            if let through { core.acknowledge(through: through) }
            return (through != nil, core.takeNotes())
        }
        log(notes)
        return acknowledged
    }

    /// Entries not yet acknowledged.
    public var pendingCount: Int { core.withLock { $0.pendingCount } }
    /// Entries held in memory (queued and not yet flushed, or kept while the directory cannot take them).
    public var entriesInMemory: Int { core.withLock { $0.unwritten.count } }
    /// Bytes of the journal's chunk files.
    public var diskBytes: Int64 { core.withLock { $0.diskBytes } }
    /// True while segments and events alone exceed the cap.
    public var isOverCap: Bool { core.withLock { $0.overCap } }
    /// The last acknowledged sequence number.
    public var deliveredThrough: UInt64 { core.withLock { $0.delivered } }

    /// Every pending item, oldest first, read from disk: for tests and tools, not the agent's loop.
    public func pendingItems(limit: Int = 1_000_000) -> [QueuedReport] {
        core.withLock { core in
            let saved = (core.readFrom, core.batchEnds, core.batchSeqs)
            defer { (core.readFrom, core.batchEnds, core.batchSeqs) = saved }
            return core.nextBatch(maxPerKind: limit).map(\.item)
        }
    }

    private func log(_ notes: [(Logger.Level, String)]) {
        for (level, message) in notes { logger.log(level: level, "\(message)", metadata: ["outbox": "\(directory)"]) }
    }
}

extension JournalCore {
    mutating func takeNotes() -> [(Logger.Level, String)] {
        defer { notes = [] }
        return notes
    }
}

extension Array where Element == JournalEntry {
    var events: [AgentEvent] { compactMap { if case .event(let e) = $0.item { return e } else { return nil } } }
    var segments: [SegmentRecord] { compactMap { if case .segment(let s) = $0.item { return s } else { return nil } } }
    var jobRuns: [JobRun] { compactMap { if case .jobRun(let r) = $0.item { return r } else { return nil } } }
}
