import Foundation

/// A min-heap of deadlines keyed by `Key`, with lazy cancellation: scheduling a key again
/// supersedes its earlier deadline, and `popDue(now:)` returns only live entries.
///
/// Housekeeping then costs O(due · log n) per tick instead of a scan of every key.
///
/// ```swift
/// var queue = DeadlineQueue<String>()
/// queue.schedule("pi1", at: Date().addingTimeInterval(30))
/// for node in queue.popDue(now: Date()) { print("\(node) is due") }
/// ```
struct DeadlineQueue<Key: Hashable> {
    private struct Entry {
        var deadline: Date
        var key: Key
        var generation: UInt64
    }

    private var heap: [Entry] = []
    private var generations: [Key: UInt64] = [:]
    private var nextGeneration: UInt64 = 0

    /// Live keys with a pending deadline.
    var count: Int { generations.count }

    /// Schedules `key` at `deadline`, replacing any deadline it had.
    mutating func schedule(_ key: Key, at deadline: Date) {
        nextGeneration &+= 1
        generations[key] = nextGeneration
        push(Entry(deadline: deadline, key: key, generation: nextGeneration))
        compactIfMostlyStale()
    }

    /// Forgets `key`'s deadline.
    mutating func cancel(_ key: Key) {
        generations[key] = nil
    }

    /// The earliest live deadline.
    mutating func nextDeadline() -> Date? {
        dropStaleTop()
        return heap.first?.deadline
    }

    /// Removes and returns every key whose deadline is at or before `now`, earliest first.
    mutating func popDue(now: Date) -> [Key] {
        var due: [Key] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if generations[top.key] == top.generation {
                generations[top.key] = nil
                due.append(top.key)
            }
        }
        return due
    }

    private mutating func dropStaleTop() {
        while let top = heap.first, generations[top.key] != top.generation { popTop() }
    }

    /// Rebuilds the heap when superseded entries outnumber live ones, so memory stays
    /// proportional to the number of keys however often they are rescheduled.
    private mutating func compactIfMostlyStale() {
        guard heap.count > 64, heap.count > 2 * generations.count else { return }
        let live = heap.filter { generations[$0.key] == $0.generation }
        heap = []
        heap.reserveCapacity(live.count)
        for entry in live { push(entry) }
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() {
        guard !heap.isEmpty else { return }
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
