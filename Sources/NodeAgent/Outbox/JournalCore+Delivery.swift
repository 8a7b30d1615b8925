import FleetProtocol
import FoundationEssentials
import Glibc

extension JournalCore {
    // MARK: Batches, oldest first

    /// The oldest unacknowledged entries in sequence order, at most `maxPerKind` of each kind;
    /// the batch ends at the first entry whose kind is full, so delivery stays in order. Reads
    /// from disk (the chunk where the last acknowledged batch ended) and then from memory.
    mutating func nextBatch(maxPerKind: Int) -> [JournalEntry] {
        var batch: [JournalEntry] = []
        var counts: [QueuedReport.Kind: Int] = [:]
        var full = false
        batchEnds = [:]
        batchSeqs = []
        func take(_ entry: JournalEntry) -> Bool {
            guard entry.seq > delivered else { return true }
            guard counts[entry.item.kind, default: 0] < maxPerKind else { full = true; return false }
            counts[entry.item.kind, default: 0] += 1
            batch.append(entry)
            batchSeqs.append(entry.seq)
            return true
        }
        let decoder = WireCoding.decoder()
        let startIndex = readFrom.flatMap { from in chunks.firstIndex { $0.first == from.chunk } } ?? 0
        var undecodable = 0
        chunkLoop: for chunk in chunks[min(startIndex, chunks.count)...] {
            let offset = readFrom?.chunk == chunk.first ? readFrom?.offset ?? 0 : 0
            guard var reader = JournalLineReader(path: path(of: chunk.first), offset: offset) else { continue }
            defer { reader.close() }
            while let line = reader.next() {
                guard line.terminated else { break }
                guard let header = JournalLine.header(line.bytes) else { undecodable += 1; continue }
                if header.seq <= delivered {
                    // Already acknowledged (a resend after a restart would be skipped here too).
                    if batch.isEmpty { readFrom = Position(chunk: chunk.first, offset: line.end) }
                    continue
                }
                guard let entry = JournalLine.decode(line.bytes, with: decoder) else { undecodable += 1; continue }
                guard take(entry) else { break chunkLoop }
                batchEnds[entry.seq] = Position(chunk: chunk.first, offset: line.end)
            }
        }
        if undecodable > 0 { notes.append((.error, "outbox journal: \(undecodable) unreadable entries skipped")) }
        if !full {
            for entry in unwritten where !full {
                guard take(entry) else { break }
            }
        }
        return batch
    }

    /// Records that a coordinator acknowledged every entry up to and including `seq` (from the
    /// last batch). Only memory changes here; `flush()` writes the cursor.
    mutating func acknowledge(through seq: UInt64) {
        guard seq > delivered else { return }
        pendingCount -= batchSeqs.filter { $0 > delivered && $0 <= seq }.count
        pendingCount = max(0, pendingCount)
        delivered = seq
        if let end = batchEnds[seq] { readFrom = end }
        unwritten.removeAll { $0.seq <= seq }
    }

    // MARK: The cap

    /// Over the cap: older runs of each job are compacted away (the latest run of every job
    /// stays, and an `agent.outbox-compacted` event counts what went). Segments and events are
    /// never dropped; if they alone exceed the cap they are kept and an error logged once.
    mutating func compactIfOverCap() throws {
        guard diskBytes > maxBytes else {
            if overCap { notes.append((.notice, "outbox journal back under its cap (\(diskBytes) of \(maxBytes) bytes)")) }
            overCap = false
            return
        }
        // A rewrite costs every byte on disk: only when it wins at least 1 % of the cap.
        if compactableBytes >= max(1, maxBytes / 100) { try compact() }
        if diskBytes > maxBytes, !overCap {
            overCap = true
            notes.append((.error, "outbox journal over its cap (\(diskBytes) of \(maxBytes) bytes) with only undelivered "
                + "segments and events left; they are kept (never dropped before delivery) and the journal grows"))
        }
    }

    private mutating func compact() throws {
        let decoder = WireCoding.decoder()
        func job(_ line: ArraySlice<UInt8>) -> String? {
            guard case .jobRun(let run)? = JournalLine.decode(line, with: decoder)?.item else { return nil }
            return run.job
        }
        // Pass 1: the newest pending run of each job.
        var latest: [String: UInt64] = [:]
        for chunk in chunks {
            guard var reader = JournalLineReader(path: path(of: chunk.first), offset: 0) else { continue }
            while let line = reader.next() {
                guard line.terminated, let header = JournalLine.header(line.bytes), header.seq > delivered,
                      header.kind.isCompactable, let name = job(line.bytes) else { continue }
                latest[name] = max(latest[name] ?? 0, header.seq)
            }
            reader.close()
        }
        // Pass 2: each chunk rewritten without older runs and delivered entries (temp, fsync, rename).
        var dropped: [String: Int] = [:]
        var rewritten: [Chunk] = []
        for chunk in chunks {
            let source = path(of: chunk.first)
            guard var reader = JournalLineReader(path: source, offset: 0) else { rewritten.append(chunk); continue }
            var kept = Data()
            while let line = reader.next() {
                guard line.terminated, let header = JournalLine.header(line.bytes), header.seq > delivered else { continue }
                if header.kind.isCompactable, let name = job(line.bytes), latest[name] != header.seq {
                    dropped[name, default: 0] += 1
                    continue
                }
                kept.append(contentsOf: line.bytes)
                kept.append(0x0A)
            }
            reader.close()
            if kept.isEmpty {
                unlink(source)
            } else {
                try AtomicFile.write(kept, to: source, mode: 0o600)
                rewritten.append(Chunk(first: chunk.first, bytes: Int64(kept.count)))
            }
        }
        chunks = rewritten
        readFrom = nil
        compactableBytes = 0
        let total = dropped.values.reduce(0, +)
        pendingCount = max(0, pendingCount - total)
        guard total > 0 else { return }
        let detail = dropped.sorted { $0.key < $1.key }.map { "\($0.value) of \($0.key)" }.joined(separator: ", ")
        notes.append((.warning, "outbox journal over its cap: \(total) older job runs compacted (\(detail)); the latest run of each job kept"))
        enqueue([.event(AgentEvent(kind: "agent.outbox-compacted",
            message: "outbox over its \(maxBytes)-byte cap while no coordinator answered: \(total) older job runs "
                + "compacted (\(detail)); the latest run of each job, every segment and every event kept"))])
    }
}
