import FleetProtocol
import FoundationEssentials
import Glibc

/// One item the agent owes a coordinator: an event, a segment catalog entry or a job run.
///
/// ```swift
/// journal.enqueue([.segment(record), .event(AgentEvent(kind: "recorder.restarted", message: "…"))])
/// ```
public enum QueuedReport: Sendable, Equatable {
    case event(AgentEvent)
    case segment(SegmentRecord)
    case jobRun(JobRun)

    /// The kind as written in the journal line.
    public var kind: Kind {
        switch self {
        case .event: return .event
        case .segment: return .segment
        case .jobRun: return .jobRun
        }
    }

    /// The journal's line tag of each kind. Job runs are the only low-value kind: when the
    /// journal is over its cap, older runs of the same job are compacted (the latest kept and a
    /// count reported); events and segments are never dropped before they are delivered.
    public enum Kind: String, Sendable, CaseIterable {
        case event, segment, jobRun = "jobrun"

        var isCompactable: Bool { self == .jobRun }
    }
}

/// A queued item with its place in the journal: sequence numbers only grow, across restarts.
public struct JournalEntry: Sendable, Equatable {
    public var seq: UInt64
    public var item: QueuedReport
}

/// The journal's line format: `SEQ KIND JSON\n`, one entry per line. SEQ and KIND come first so
/// that counting and compaction read them without decoding the JSON; JSON has no raw newlines.
enum JournalLine {
    static func encode(_ entry: JournalEntry, with encoder: JSONEncoder) throws -> Data {
        let body: Data
        switch entry.item {
        case .event(let event): body = try encoder.encode(event)
        case .segment(let segment): body = try encoder.encode(segment)
        case .jobRun(let run): body = try encoder.encode(run)
        }
        var line = Data("\(entry.seq) \(entry.item.kind.rawValue) ".utf8)
        line.append(body)
        line.append(0x0A)
        return line
    }

    /// SEQ and KIND of a line (without its newline); nil when they are not readable.
    static func header(_ line: ArraySlice<UInt8>) -> (seq: UInt64, kind: QueuedReport.Kind, bodyStart: Int)? {
        guard let firstSpace = line.firstIndex(of: 0x20),
              let seq = UInt64(String(decoding: line[line.startIndex..<firstSpace], as: UTF8.self)) else { return nil }
        let rest = line[(firstSpace + 1)...]
        guard let secondSpace = rest.firstIndex(of: 0x20),
              let kind = QueuedReport.Kind(rawValue: String(decoding: rest[rest.startIndex..<secondSpace], as: UTF8.self))
        else { return nil }
        return (seq, kind, secondSpace + 1)
    }

    /// The whole entry; nil for a line that is torn or not an entry.
    static func decode(_ line: ArraySlice<UInt8>, with decoder: JSONDecoder) -> JournalEntry? {
        guard let (seq, kind, bodyStart) = header(line), bodyStart < line.endIndex else { return nil }
        let body = Data(line[bodyStart...])
        switch kind {
        case .event: return (try? decoder.decode(AgentEvent.self, from: body)).map { JournalEntry(seq: seq, item: .event($0)) }
        case .segment: return (try? decoder.decode(SegmentRecord.self, from: body)).map { JournalEntry(seq: seq, item: .segment($0)) }
        case .jobRun: return (try? decoder.decode(JobRun.self, from: body)).map { JournalEntry(seq: seq, item: .jobRun($0)) }
        }
    }
}

/// Reads a file line by line from an offset in 64 KiB blocks: memory is one block and one line,
/// whatever the file's size.
struct JournalLineReader {
    struct Line {
        var bytes: ArraySlice<UInt8>
        var start: Int64
        var end: Int64
        /// False for a last line without its newline (a torn append).
        var terminated: Bool
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Index in `buffer` of the next unread byte; `bufferStart` is the file offset of `buffer[0]`.
    private var position = 0
    private var bufferStart: Int64
    private var eof = false

    init?(path: String, offset: Int64) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        bufferStart = offset
        if offset > 0, lseek(fd, off_t(offset), SEEK_SET) < 0 {
            Glibc.close(fd)
            return nil
        }
    }

    func close() { _ = Glibc.close(fd) }

    mutating func next() -> Line? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                let line = Line(bytes: buffer[position..<newline], start: bufferStart + Int64(position),
                                end: bufferStart + Int64(newline + 1), terminated: true)
                position = newline + 1
                return line
            }
            if eof {
                guard position < buffer.count else { return nil }
                let line = Line(bytes: buffer[position...], start: bufferStart + Int64(position),
                                end: bufferStart + Int64(buffer.count), terminated: false)
                position = buffer.count
                return line
            }
            if position > 0 {
                buffer.removeFirst(position)
                bufferStart += Int64(position)
                position = 0
            }
            var block = [UInt8](repeating: 0, count: 65_536)
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65_536) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { eof = true } else { buffer.append(contentsOf: block[0..<n]) }
        }
    }
}
