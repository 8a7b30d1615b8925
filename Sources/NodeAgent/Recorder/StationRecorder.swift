import FoundationEssentials
import FleetProtocol
#if canImport(Glibc)
import Glibc
#endif

/// One running ffmpeg and what the supervisor has seen of it.
struct RecorderRun: Sendable {
    let pid: pid_t
    let command: RecorderCommand
    /// ffmpeg's `-timeout` in seconds.
    let rtspTimeout: Double
    let startedAt: ContinuousClock.Instant
    /// Segment names below this (formatted from the wall clock shortly before the spawn)
    /// belong to earlier runs.
    let firstName: String
    let tail: StderrTail
    var list: SegmentListTail
    /// The segment file ffmpeg is writing now (name only), as last found in the folder.
    var openSegment: String?
    var openBytes: UInt64 = 0
    var lastGrowthAt: ContinuousClock.Instant
    var lastCloseAt: ContinuousClock.Instant?
    var lastScanAt: ContinuousClock.Instant?
    var lastClosedName: String?
    var closedCount = 0
    /// Read end of ffmpeg's stderr pipe (its pump thread reads and finally closes it).
    var stderrFD: Int32 = -1

    var stationDir: String { command.spec.stationDir }
    var station: String { command.spec.station }
}

/// What to do once a terminating recorder has exited.
enum AfterStop: Sendable, Equatable {
    /// Count a failure and start again after the back-off delay, counted from `since`
    /// (when the failure was detected, not when the process finally died).
    case backoff(reason: String, since: ContinuousClock.Instant)
    /// Start again at once (spec change, remote restart).
    case respawn(reason: String)
    /// Stay stopped (stopAll).
    case stop(reason: String)
    /// Forget the station (no longer assigned).
    case remove(reason: String)
}

/// The lifecycle of one station's recorder.
enum RecorderPhase: Sendable {
    /// Waiting to (re)start: first start, back-off, or a restart's short pause.
    case waiting(until: ContinuousClock.Instant)
    case running(RecorderRun)
    /// SIGTERM sent; SIGKILL at `killAt` unless it exits first.
    case terminating(RecorderRun, killAt: ContinuousClock.Instant, sentKill: Bool, then: AfterStop)
    case stopped
}

/// Everything the supervisor keeps per station.
struct StationRecorder: Sendable {
    /// The desired spec (the running process may still use an older one until it restarts).
    var spec: RecorderSpec
    var phase: RecorderPhase
    let log: RotatingLog
    var everStarted = false
    var restarts = 0
    /// Consecutive failures, for the back-off delay.
    var failures = 0
    /// Why the next start happens; becomes the `recorder.restarted` message.
    var pendingReason: String?
    var lastError: String?
    var newestSegment: String?
    var newestSegmentAt: Date?
    /// The probe order (``PendingProbe/seq``) of `newestSegment`: the newest is the one closed
    /// last, not the largest name (names from before a clock step sort after newer ones).
    var newestSegmentSeq = 0
    /// When a valid segment last closed (any name: after the wall clock was set back, new names
    /// sort before old ones), on the monotonic clock.
    var lastValidClose: ContinuousClock.Instant?

    var pid: pid_t? {
        switch phase {
        case .running(let run), .terminating(let run, _, _, _): return run.pid
        case .waiting, .stopped: return nil
        }
    }

    var run: RecorderRun? {
        switch phase {
        case .running(let run), .terminating(let run, _, _, _): return run
        case .waiting, .stopped: return nil
        }
    }

    var state: RecorderState {
        switch phase {
        case .running: return .recording
        case .terminating(_, _, _, let then):
            switch then {
            case .backoff: return .stalled
            case .respawn: return .backingOff
            case .stop, .remove: return .stopped
            }
        case .waiting: return .backingOff
        case .stopped: return .stopped
        }
    }
}

/// Wall-clock names as ffmpeg's `-strftime` writes them, in local time.
enum SegmentClock {
    static func name(station: String, at date: Date, tag: String? = nil) -> String {
        let text = LocalTime.parts(of: date).compactStamp
        return "\(station)_\(text)\(tag.map { "-" + $0 } ?? "").mkv"
    }
}
