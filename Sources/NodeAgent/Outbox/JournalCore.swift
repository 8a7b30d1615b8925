import FleetProtocol
import FoundationEssentials
import Glibc
import Logging

/// The journal's files and counters; ``ReportJournal`` wraps it in a lock.
///
/// Layout of the directory: `chunk-<first seq>.jsonl` files of ``JournalLine``s, appended and
/// fsync'd, and `cursor.json` (`{"deliveredThrough": N}`, written atomically) naming the last
/// sequence number a coordinator acknowledged. Only the next batch is read into memory.
struct JournalCore {
    struct Chunk: Equatable {
        var first: UInt64
        var bytes: Int64
    }

    struct Position: Equatable {
        var chunk: UInt64
        var offset: Int64
    }

    struct Cursor: Codable {
        var deliveredThrough: UInt64
    }

    let directory: String
    let maxBytes: Int64
    /// A chunk is closed (a new one started) once it holds this many bytes.
    let chunkBytes: Int64
    /// Entries held in memory at most while the directory cannot take them.
    let maxUnwritten: Int
    var chunks: [Chunk] = []
    var nextSeq: UInt64 = 1
    /// The highest sequence number on disk.
    var lastWritten: UInt64 = 0
    /// Everything up to here was acknowledged by a coordinator.
    var delivered: UInt64 = 0
    var deliveredOnDisk: UInt64 = 0
    /// Entries queued but not yet on disk (the next flush writes them; kept while it cannot).
    var unwritten: [JournalEntry] = []
    /// Entries not yet acknowledged, on disk and in memory.
    var pendingCount = 0
    /// Where the first unacknowledged entry's line starts (a hint; nil reads from the first chunk).
    var readFrom: Position?
    /// The last batch handed out: sequence numbers and where each line ends.
    var batchEnds: [UInt64: Position] = [:]
    var batchSeqs: [UInt64] = []
    /// Bytes of job-run lines appended since the last compaction (what a compaction could win).
    var compactableBytes: Int64 = 0
    /// True while over the cap with nothing left to compact (logged once per condition).
    var overCap = false
    /// After a failed append the next one starts a new chunk (no torn line in the middle of a file).
    var startNewChunk = false
    var droppedFromMemory = 0
    /// Log lines for the wrapper to write (it holds the logger).
    var notes: [(Logger.Level, String)] = []

    var diskBytes: Int64 { chunks.reduce(0) { $0 + $1.bytes } }
    var cursorPath: String { directory.pathJoining("cursor.json") }

    func path(of chunk: UInt64) -> String {
        directory.pathJoining("chunk-" + NumberText.zeroPadded(chunk, width: 20) + ".jsonl")
    }

    init(directory: String, maxBytes: Int64, maxUnwritten: Int = 20_000) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.chunkBytes = min(4 << 20, max(16 << 10, maxBytes / 16))
        self.maxUnwritten = maxUnwritten
        load()
    }

    // MARK: Open and recovery

    /// Reads the cursor and the chunks; a torn last line (power cut mid-append) is cut off, a
    /// fully delivered chunk deleted. Never fatal: what cannot be read is logged and skipped.
    private mutating func load() {
        do {
            try FileIO.makeDirectories(directory)
        } catch {
            notes.append((.error, "outbox journal directory unusable (kept in memory, retried): \(error)"))
            return
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.contains(".tmp") { unlink(directory.pathJoining(name)) }
        if let data = FileManager.default.contents(atPath: cursorPath) {
            if let cursor = try? WireCoding.decode(Cursor.self, from: data) {
                delivered = cursor.deliveredThrough
            } else {
                notes.append((.error, "outbox cursor unreadable; everything in the journal will be sent again"))
            }
        }
        deliveredOnDisk = delivered
        chunks = names.compactMap { name -> Chunk? in
            guard name.hasPrefix("chunk-"), name.hasSuffix(".jsonl"),
                  let first = UInt64(name.dropFirst(6).dropLast(6)) else { return nil }
            return Chunk(first: first, bytes: 0)
        }.sorted { $0.first < $1.first }
        var lastSeq: UInt64 = 0
        let decoder = WireCoding.decoder()
        for index in chunks.indices {
            let isLast = index == chunks.count - 1
            let scan = scanChunk(chunks[index].first, validate: isLast, decoder: decoder)
            chunks[index].bytes = scan.validBytes
            lastSeq = max(lastSeq, scan.lastSeq)
        }
        nextSeq = max(lastSeq, delivered) + 1
        lastWritten = lastSeq
        deleteDeliveredChunks(lastWritten: lastSeq)
    }

    /// Counts a chunk's pending entries; for the last chunk also decodes every line and cuts
    /// the file at the first torn or undecodable one.
    private mutating func scanChunk(_ first: UInt64, validate: Bool, decoder: JSONDecoder) -> (validBytes: Int64, lastSeq: UInt64) {
        let path = path(of: first)
        guard var reader = JournalLineReader(path: path, offset: 0) else {
            notes.append((.error, "outbox chunk unreadable, skipped: \(path)"))
            return (0, 0)
        }
        defer { reader.close() }
        var valid: Int64 = 0, lastSeq: UInt64 = 0, skipped = 0
        while let line = reader.next() {
            let header = JournalLine.header(line.bytes)
            let whole = !validate || JournalLine.decode(line.bytes, with: decoder) != nil
            guard line.terminated, let header, whole else {
                if validate {
                    truncate(path, at: line.start)
                    notes.append((.warning, "outbox journal: torn entry at the end of \(path) cut off (\(line.end - line.start) bytes)"))
                    break
                }
                skipped += 1
                valid = line.end
                continue
            }
            valid = line.end
            lastSeq = max(lastSeq, header.seq)
            if header.seq > delivered {
                pendingCount += 1
                if header.kind.isCompactable { compactableBytes += line.end - line.start }
            }
        }
        if skipped > 0 { notes.append((.error, "outbox journal: \(skipped) unreadable entries skipped in \(path)")) }
        return (valid, lastSeq)
    }

    private mutating func truncate(_ path: String, at offset: Int64) {
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        if ftruncate(fd, off_t(offset)) != 0 || fsync(fd) != 0 {
            notes.append((.error, "outbox journal: cannot cut torn entry in \(path): errno \(errno)"))
        }
    }

    /// Deletes chunks whose every entry is acknowledged, and empty ones.
    mutating func deleteDeliveredChunks(lastWritten: UInt64) {
        var kept: [Chunk] = []
        for (index, chunk) in chunks.enumerated() {
            let upper = index + 1 < chunks.count ? chunks[index + 1].first - 1 : lastWritten
            if upper <= delivered || chunk.bytes == 0 {
                unlink(path(of: chunk.first))
                if readFrom?.chunk == chunk.first { readFrom = nil }
            } else {
                kept.append(chunk)
            }
        }
        chunks = kept
    }

    // MARK: Append

    mutating func enqueue(_ items: [QueuedReport]) {
        for item in items {
            unwritten.append(JournalEntry(seq: nextSeq, item: item))
            nextSeq += 1
            pendingCount += 1
        }
        guard unwritten.count > maxUnwritten else { return }
        // The directory has not taken entries for a long time: memory stays bounded, job runs go first.
        let before = unwritten.count
        var excess = unwritten.count - maxUnwritten
        unwritten.removeAll { entry in
            guard excess > 0, entry.item.kind.isCompactable else { return false }
            excess -= 1
            return true
        }
        if excess > 0 { unwritten.removeFirst(excess) }
        pendingCount -= before - unwritten.count
        if droppedFromMemory == 0 {
            notes.append((.error, "outbox journal cannot be written and \(maxUnwritten) entries are held in memory: oldest dropped"))
        }
        droppedFromMemory += before - unwritten.count
    }

    /// Writes what is queued in memory, then the cursor; deletes delivered chunks; compacts
    /// when over the cap. Throws when the directory cannot take it (everything stays queued).
    mutating func flush() throws {
        try FileIO.makeDirectories(directory)
        try writeUnwritten()
        if delivered != deliveredOnDisk {
            let data = try WireCoding.encode(Cursor(deliveredThrough: delivered))
            try AtomicFile.write(data, to: cursorPath, mode: 0o600)
            deliveredOnDisk = delivered
            deleteDeliveredChunks(lastWritten: lastWritten)
        }
        try compactIfOverCap()
        try writeUnwritten()
        droppedFromMemory = 0
    }

    private mutating func writeUnwritten() throws {
        let pending = unwritten.filter { $0.seq > delivered }
        guard let firstSeq = pending.first?.seq else { unwritten = []; return }
        let encoder = WireCoding.encoder()
        var data = Data()
        var jobRunBytes: Int64 = 0
        for entry in pending {
            let line = try JournalLine.encode(entry, with: encoder)
            if entry.item.kind.isCompactable { jobRunBytes += Int64(line.count) }
            data.append(line)
        }
        let newChunk = startNewChunk || chunks.last.map { $0.bytes >= chunkBytes } ?? true
        var chunk = newChunk ? Chunk(first: firstSeq, bytes: 0) : chunks[chunks.count - 1]
        let path = path(of: chunk.first)
        // A new chunk starts empty, even when a failed append left a file of that name behind.
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (newChunk ? O_TRUNC : 0), 0o600)
        guard fd >= 0 else { throw FileIO.SystemError(operation: "open", path: path, code: errno) }
        do {
            try data.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
            try FileIO.fsyncFile(fd, path: path)
        } catch {
            _ = ftruncate(fd, off_t(chunk.bytes))
            Glibc.close(fd)
            startNewChunk = true
            throw error
        }
        Glibc.close(fd)
        if newChunk {
            try FileIO.fsyncDirectory(directory)
            chunks.append(chunk)
        }
        chunk.bytes += Int64(data.count)
        chunks[chunks.count - 1] = chunk
        startNewChunk = false
        lastWritten = pending[pending.count - 1].seq
        compactableBytes += jobRunBytes
        unwritten = []
    }
}
