import FoundationEssentials

extension RecorderSupervisor {
    /// Tunables of the recorder supervisor. The defaults suit a field node.
    public struct Configuration: Sendable {
        /// ffmpeg executable; a bare name is looked up in PATH.
        public var ffmpegPath: String
        /// ffprobe executable; a bare name is looked up in PATH.
        public var ffprobePath: String
        /// Folder for the per-station pid files (`recorder-STATION.pid`).
        public var stateDir: String
        /// Folder for the per-station ffmpeg logs (`recorder-STATION.log`, rotated).
        public var logDir: String
        /// First back-off delay after a failure; doubles per consecutive failure.
        public var backoffBase: Duration
        /// Longest back-off delay.
        public var backoffMax: Duration
        /// A recorder that has run this long and closed a segment resets its back-off.
        /// Nil: `min(2 × segmentSeconds, 60 s)`.
        public var backoffResetAfter: Duration?
        /// How often `run()` checks every recorder.
        public var tickInterval: Duration
        /// After SIGTERM, how long before SIGKILL.
        public var killGrace: Duration
        /// After SIGTERM to a *stalled* recorder, how long before SIGKILL. Shorter than
        /// `killGrace`: a stalled ffmpeg has written nothing for `stallSeconds` already, and
        /// with the RTSP timeout below one second it honours SIGTERM within that second.
        public var stallKillGrace: Duration
        /// Extra time a fresh recorder gets to connect and open its first segment.
        public var startGrace: Duration
        /// Size of one log file before it rotates, and how many files are kept.
        public var logMaxBytes: Int
        public var logFiles: Int
        /// Upper bound for ffmpeg's RTSP socket timeout (`-timeout`). The timeout is
        /// `min(stallSeconds, this, killGrace × 2/3)` (1 s with the defaults): ffmpeg only
        /// honours SIGTERM on a silent camera once its blocked read times out, and the last
        /// segment is finalised only if that happens before SIGKILL. ffmpeg itself gives up
        /// (exit code 0) after about twice the value without data.
        public var maxRTSPTimeout: Duration
        /// The wall clock: what names segments and what a clock step is noticed on. Tests
        /// replace it to play a clock set back or forward; ffmpeg itself always uses the real one.
        public var wallClock: @Sendable () -> Date = { Date() }

        public init(ffmpegPath: String = "ffmpeg", ffprobePath: String = "ffprobe", stateDir: String, logDir: String,
                    backoffBase: Duration = .seconds(1), backoffMax: Duration = .seconds(60),
                    backoffResetAfter: Duration? = nil, tickInterval: Duration = .milliseconds(250),
                    killGrace: Duration = .milliseconds(1500), startGrace: Duration = .seconds(5),
                    logMaxBytes: Int = 1 << 20, logFiles: Int = 3, maxRTSPTimeout: Duration = .seconds(15)) {
            self.ffmpegPath = ffmpegPath
            self.ffprobePath = ffprobePath
            self.stateDir = stateDir
            self.logDir = logDir
            self.backoffBase = backoffBase
            self.backoffMax = backoffMax
            self.backoffResetAfter = backoffResetAfter
            self.tickInterval = tickInterval
            self.killGrace = killGrace
            self.stallKillGrace = min(killGrace, .seconds(1))
            self.startGrace = startGrace
            self.logMaxBytes = logMaxBytes
            self.logFiles = logFiles
            self.maxRTSPTimeout = maxRTSPTimeout
        }

        /// The restart back-off: `backoffBase` doubling per consecutive failure up to
        /// `backoffMax`, without jitter (a station's restarts need no spreading).
        ///
        /// ```swift
        /// let delay = configuration.restartBackoff.delay(attempt: recorder.failures - 1)
        /// ```
        public var restartBackoff: Backoff { Backoff(base: backoffBase, cap: backoffMax) }
    }
}

/// Errors of the recorder supervisor; descriptions never contain a password.
public enum RecorderError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No recorder is assigned for this station on this node.
    case unknownStation(String)
    /// The password file named in the spec could not be read.
    case passwordUnreadable(station: String, path: String)
    /// A folder could not be created.
    case cannotCreateDirectory(station: String?, path: String, reason: String)
    /// ffmpeg could not be started.
    case spawnFailed(station: String, reason: String)
    /// A remote restart did not see a growing segment in time.
    case restartTimedOut(station: String, seconds: Double, detail: String)
    /// The station was removed or the supervisor stopped while a restart waited.
    case restartAborted(station: String, reason: String)

    public var description: String {
        switch self {
        case .unknownStation(let station):
            return "unknown station \(station): no recorder is assigned to this node for it"
        case .passwordUnreadable(let station, let path):
            return "\(station): cannot read camera password file \(path)"
        case .cannotCreateDirectory(let station, let path, let reason):
            return "\(station.map { "\($0): " } ?? "")cannot create folder \(path): \(reason)"
        case .spawnFailed(let station, let reason):
            return "\(station): \(reason)"
        case .restartTimedOut(let station, let seconds, let detail):
            return "\(station): restarted, but no growing segment within \(Int(seconds.rounded())) s (\(detail))"
        case .restartAborted(let station, let reason):
            return "\(station): restart aborted: \(reason)"
        }
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
