import FleetProtocol
import FoundationEssentials
import Logging
import Synchronization

/// The agent's own recent log lines in memory (the agent writes no log file of its own:
/// systemd's journal takes stderr). Serves `fleetctl logs node NAME`.
///
/// Bounded by lines and bytes; each line gets a sequence number so a follower asks for
/// "everything after N". URL passwords are redacted on the way in.
///
/// ```swift
/// let ring = AgentLogRing()
/// LoggingSystem.bootstrap { label in
///     MultiplexLogHandler([StreamLogHandler.standardError(label: label), RingLogHandler(label: label, ring: ring)])
/// }
/// let (lines, next) = ring.tail(200, since: nil)
/// let (newer, after) = ring.lines(after: next)
/// ```
public final class AgentLogRing: Sendable {
    private struct State {
        var lines: [String] = []
        var bytes = 0
        /// Sequence number of `lines[0]`.
        var first = 0
    }

    public let maxLines: Int
    public let maxBytes: Int
    private let state = Mutex(State())

    public init(maxLines: Int = 5000, maxBytes: Int = 1 << 20) {
        self.maxLines = max(1, maxLines)
        self.maxBytes = max(1024, maxBytes)
    }

    public func append(_ line: String) {
        let clean = RemoteOutputLimits.bounded(Redactor.redactURLPasswords(line))
        state.withLock { state in
            state.lines.append(clean)
            state.bytes += clean.utf8.count + 1
            var drop = 0
            while drop < state.lines.count - 1,
                  state.lines.count - drop > maxLines || state.bytes > maxBytes {
                state.bytes -= state.lines[drop].utf8.count + 1
                drop += 1
            }
            if drop > 0 {
                state.lines.removeFirst(drop)
                state.first += drop
            }
        }
    }

    /// The last `count` lines (only those stamped within `since` seconds when given) and the
    /// sequence number after them.
    public func tail(_ count: Int, since seconds: Int?, now: Date = Date()) -> (lines: [String], next: Int) {
        state.withLock { state in
            var lines = state.lines
            if let seconds { lines = LogLines.since(lines, cutoff: now.addingTimeInterval(-Double(seconds))) }
            return (Array(lines.suffix(max(0, count))), state.first + state.lines.count)
        }
    }

    /// Lines after sequence number `next` and the new `next`.
    public func lines(after next: Int) -> (lines: [String], next: Int) {
        state.withLock { state in
            let start = max(next, state.first) - state.first
            let end = state.first + state.lines.count
            guard start < state.lines.count else { return ([], end) }
            return (Array(state.lines[start...]), end)
        }
    }
}

/// A swift-log handler that writes each message into an ``AgentLogRing``, formatted like
/// `StreamLogHandler`: `2026-12-01T05:30:00.123Z info fleet-agent: message key=value`.
public struct RingLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    let ring: AgentLogRing

    public init(label: String, ring: AgentLogRing) {
        self.label = label
        self.ring = ring
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let merged = self.metadata.merging(explicit ?? [:]) { $1 }
        let fields = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        ring.append("\(LogLines.stamp(Date())) \(level) \(label): \(message)\(fields)")
    }
}

/// Helpers for log lines that begin with an ISO 8601 UTC timestamp (the recorder logs and the ring).
enum LogLines {
    static func stamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    /// The time at the start of a line, if it has one.
    static func time(of line: String) -> Date? {
        guard let space = line.firstIndex(of: " "), line.distance(from: line.startIndex, to: space) <= 32 else { return nil }
        let text = String(line[..<space])
        if let date = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(text, strategy: .iso8601)
    }

    /// The lines from the first one stamped at or after `cutoff` on (unstamped lines go with the line before).
    static func since(_ lines: [String], cutoff: Date) -> [String] {
        guard let first = lines.firstIndex(where: { (time(of: $0) ?? .distantPast) >= cutoff }) else { return [] }
        return Array(lines[first...])
    }
}
