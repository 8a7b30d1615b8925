/// An async mutex: one holder at a time (one apply, one alerting evaluation), others wait their turn in order.
struct SerialGate {
    private var running = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// True when the caller may run now; otherwise it must wait with `enqueue`.
    mutating func tryEnter() -> Bool {
        guard !running else { return false }
        running = true
        return true
    }

    mutating func enqueue(_ continuation: CheckedContinuation<Void, Never>) { waiters.append(continuation) }

    /// Hands the gate to the next waiter, or opens it.
    mutating func leave() {
        if waiters.isEmpty { running = false } else { waiters.removeFirst().resume() }
    }
}
