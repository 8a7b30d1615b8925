import FleetProtocol
import FoundationEssentials
import Synchronization

/// The progress of one run under way, written by the job's worker threads and read by the
/// report loop (`JobRunner.statuses`): a few numbers behind a lock, so updating it per 1 MiB
/// chunk or per file costs next to nothing.
///
/// ```swift
/// let tracker = JobProgressTracker()
/// tracker.begin(phase: "compress", bytesTotal: 500_000_000, filesTotal: 1)
/// tracker.setBytes(250_000_000)
/// tracker.snapshot().fraction   // 0.5
/// ```
public final class JobProgressTracker: Sendable {
    struct State: Sendable {
        var phase = "start"
        var runStarted: Date
        var phaseStarted: Date
        var filesDone = 0
        var filesTotal: Int?
        var bytesDone: UInt64 = 0
        var bytesTotal: UInt64?
    }

    private let state: Mutex<State>
    private let clock: @Sendable () -> Date

    public init(startedAt: Date = Date(), clock: @escaping @Sendable () -> Date = { Date() }) {
        state = Mutex(State(runStarted: startedAt, phaseStarted: startedAt))
        self.clock = clock
    }

    /// Starts a phase: bytes count from 0 again towards `bytesTotal`; files keep counting
    /// unless `filesTotal` is given (then they restart too).
    public func begin(phase: String, bytesTotal: UInt64?, filesTotal: Int? = nil) {
        let now = clock()
        state.withLock {
            $0.phase = phase
            $0.phaseStarted = now
            $0.bytesDone = 0
            $0.bytesTotal = bytesTotal
            if let filesTotal {
                $0.filesTotal = filesTotal
                $0.filesDone = 0
            }
        }
    }

    /// Sets the bytes done in this phase (a total known only now may come along).
    public func setBytes(_ done: UInt64, total: UInt64? = nil) {
        state.withLock {
            $0.bytesDone = done
            if let total { $0.bytesTotal = total }
        }
    }

    /// One file (of `bytes`) is through.
    public func fileDone(bytes: UInt64) {
        state.withLock {
            $0.filesDone += 1
            $0.bytesDone += bytes
        }
    }

    /// The progress as the wire carries it, with the rate over the current phase and the time left.
    public func snapshot() -> JobProgress {
        let s = state.withLock { $0 }
        return Self.progress(s, now: clock())
    }

    static func progress(_ s: State, now: Date) -> JobProgress {
        let elapsed = now.timeIntervalSince(s.phaseStarted)
        // A rate needs some time and some bytes behind it, or the first second's guess is wild.
        let rate: Double? = elapsed >= 0.5 && s.bytesDone > 0 ? Double(s.bytesDone) / elapsed : nil
        var eta: Double?
        if let rate, rate > 0, let total = s.bytesTotal {
            eta = Double(total > s.bytesDone ? total - s.bytesDone : 0) / rate
        }
        return JobProgress(phase: s.phase, startedAt: s.runStarted, filesDone: s.filesDone, filesTotal: s.filesTotal,
                           bytesDone: s.bytesDone, bytesTotal: s.bytesTotal, bytesPerSecond: rate, etaSeconds: eta)
    }
}
