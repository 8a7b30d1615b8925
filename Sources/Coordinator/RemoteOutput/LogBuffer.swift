import FleetProtocol
import Foundation

/// The lines one log command brought to this coordinator, addressed by absolute position
/// (the cursor), and whether someone still reads them.
///
/// Bounded: lines a follower has read (its cursor moved past them) are dropped, and at most
/// ``RemoteOutputLimits/maxLogBytes`` of unread text is kept (the oldest go first; a slow
/// reader learns how many it missed from ``LogChunk/skipped``).
///
/// ```swift
/// var buffer = LogBuffer(created: now)
/// buffer.append(["a", "b"], final: false)
/// let chunk = buffer.read(from: 0)          // lines a, b; cursor 2
/// buffer.isFollowed(now: now)               // true while a poll is open or ended < 3 s ago
/// ```
struct LogBuffer {
    /// Absolute position of `lines[0]`.
    private(set) var base = 0
    private(set) var lines: [String] = []
    private var bytes = 0
    /// The agent sent its last lines.
    private(set) var final = false
    /// Polls being held now.
    private(set) var polling = 0
    /// When a reader was last seen (a poll began or ended), or the buffer was made.
    private(set) var lastSeen: Date
    /// When lines last arrived, or the buffer was made (for clean-up).
    private(set) var lastActivity: Date

    init(created: Date) {
        lastSeen = created
        lastActivity = created
    }

    /// Position after the newest line.
    var end: Int { base + lines.count }

    mutating func append(_ new: [String], final: Bool, now: Date = Date()) {
        for line in new {
            let bounded = RemoteOutputLimits.bounded(line)
            lines.append(bounded)
            bytes += bounded.utf8.count + 1
        }
        var drop = 0
        while bytes > RemoteOutputLimits.maxLogBytes, drop < lines.count {
            bytes -= lines[drop].utf8.count + 1
            drop += 1
        }
        if drop > 0 {
            lines.removeFirst(drop)
            base += drop
        }
        if final { self.final = true }
        lastActivity = now
    }

    /// Lines from `cursor` on (at most ``RemoteOutputLimits/maxLogBytes``); lines before
    /// `cursor` are dropped, the reader has them.
    mutating func read(from cursor: Int) -> LogChunk {
        let cursor = max(0, cursor)
        if cursor > base {
            let drop = min(cursor - base, lines.count)
            for line in lines.prefix(drop) { bytes -= line.utf8.count + 1 }
            lines.removeFirst(drop)
            base += drop
        }
        let skipped = max(0, base - cursor)
        var taken: [String] = []
        var size = 0
        for line in lines {
            size += line.utf8.count + 1
            if size > RemoteOutputLimits.maxLogBytes { break }
            taken.append(line)
        }
        let next = max(cursor, base) + taken.count
        return LogChunk(lines: taken, cursor: next, done: final && next >= end, skipped: skipped)
    }

    mutating func pollBegan(now: Date) {
        polling += 1
        lastSeen = now
    }

    mutating func pollEnded(now: Date) {
        polling = max(0, polling - 1)
        lastSeen = now
    }

    /// True while a poll is held or one ended less than ``RemoteOutputLimits/followerGoneAfter`` ago.
    func isFollowed(now: Date) -> Bool {
        polling > 0 || now.timeIntervalSince(lastSeen) < RemoteOutputLimits.followerGoneAfter
    }

    /// Approximate memory held by the lines (for metrics and limits).
    var heldBytes: Int { bytes }
}
