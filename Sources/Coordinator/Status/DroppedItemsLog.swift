import Foundation

/// Keeps a node that goes on reporting items outside its assignment from flooding the log.
///
/// A node's first drop is logged at once; after that the node logs at most once per
/// `interval`, its line carrying how many items were dropped since the previous line. The
/// metric `stationfleet_report_items_dropped_total` still counts every item. Without this, a
/// node left running an old configuration wrote two warnings per heartbeat, and 10,000 such
/// nodes wrote thousands of lines a second.
///
/// ```swift
/// var log = DroppedItemsLog()
/// for line in log.admit(node: "pi1", refusals: refusals, now: Date()) {
///     logger.warning("report items dropped", metadata: ["node": "pi1", "item": "\(line.item)", "count": "\(line.count)"])
/// }
/// ```
struct DroppedItemsLog {
    let interval: TimeInterval
    /// Nodes remembered at most; the longest-quiet ones are forgotten first (a forgotten
    /// node's next drop is logged at once, which is safe).
    let capacity: Int
    private var nodes: [String: Entry] = [:]

    private struct Entry {
        var loggedAt: Date
        /// Items dropped since `loggedAt` and not yet logged, by item and reason.
        var held: [Key: Int] = [:]
    }

    private struct Key: Hashable {
        var item: String
        var reason: String
    }

    /// Distinct (item, reason) pairs held per node at most; further ones are summed under
    /// ``overflowReason`` (reasons name stations, which a node chooses).
    static let maxHeldReasons = 64
    static let overflowReason = "further reasons, not kept"

    init(interval: TimeInterval = 60, capacity: Int = 10_000) {
        self.interval = interval
        self.capacity = capacity
    }

    /// How many nodes are remembered (for tests).
    var rememberedCount: Int { nodes.count }

    /// The lines to log now for `node`'s `refusals`: all of them (with counts held back since
    /// the last line added) when the node has not logged within `interval`, else none.
    mutating func admit(node: String, refusals: [ReportScope.Refusal], now: Date) -> [ReportScope.Refusal] {
        guard !refusals.isEmpty else { return [] }
        if var entry = nodes[node], now.timeIntervalSince(entry.loggedAt) < interval, now >= entry.loggedAt {
            for refusal in refusals {
                var key = Key(item: refusal.item, reason: refusal.reason)
                if entry.held[key] == nil, entry.held.count >= Self.maxHeldReasons {
                    key = Key(item: refusal.item, reason: Self.overflowReason)
                }
                entry.held[key, default: 0] += refusal.count
            }
            nodes[node] = entry
            return []
        }
        var lines = refusals
        if let held = nodes[node]?.held {
            for (key, count) in held {
                if let index = lines.firstIndex(where: { $0.item == key.item && $0.reason == key.reason }) {
                    lines[index].count += count
                } else {
                    lines.append(ReportScope.Refusal(item: key.item, reason: key.reason, count: count))
                }
            }
        }
        if nodes[node] == nil, nodes.count >= capacity { forgetQuietest() }
        nodes[node] = Entry(loggedAt: now)
        return lines
    }

    private mutating func forgetQuietest() {
        let cut = nodes.sorted { $0.value.loggedAt < $1.value.loggedAt }.prefix(max(1, capacity / 10)).map(\.key)
        for name in cut { nodes[name] = nil }
    }
}
