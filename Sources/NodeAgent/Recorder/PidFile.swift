import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `STATEDIR/recorder-STATION.pid`: who records a station, written at each spawn.
///
/// The process start time (field 22 of /proc/PID/stat) guards against pid reuse: a pid
/// file only names a live recorder when the pid's start time matches and its command
/// line is ffmpeg writing this station's output pattern.
struct PidFile: Codable, Sendable, Equatable {
    var station: String
    var pid: Int32
    var startTime: UInt64
    var commandHash: String
    var outputPattern: String

    static let prefix = "recorder-"
    static let suffix = ".pid"

    static func path(stateDir: String, station: String) -> String {
        stateDir.pathJoining("\(prefix)\(station)\(suffix)")
    }

    /// Writes atomically (temp file + rename).
    func write(stateDir: String) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        let target = PidFile.path(stateDir: stateDir, station: station)
        try? data.write(to: URL(fileURLWithPath: target), options: .atomic)
    }

    static func read(stateDir: String, station: String) -> PidFile? {
        read(path: path(stateDir: stateDir, station: station))
    }

    static func read(path: String) -> PidFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(PidFile.self, from: data)
    }

    static func remove(stateDir: String, station: String) {
        unlink(path(stateDir: stateDir, station: station))
    }

    /// Stations that have a pid file in `stateDir`.
    static func stations(stateDir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
            return String(name.dropFirst(prefix.count).dropLast(suffix.count))
        }
    }

    /// True when the process this file names is still the recorder it was.
    var isAlive: Bool {
        ProcessTable.startTime(of: pid) == startTime && ProcessTable.isRecorder(pid: pid, outputPattern: outputPattern)
    }
}

/// A leftover ffmpeg being removed: SIGTERM first, SIGKILL after a grace period.
struct OrphanKill: Sendable {
    let station: String
    let pid: pid_t
    let startTime: UInt64
    let killAt: ContinuousClock.Instant
    var sentKill = false

    /// Sends SIGTERM now and returns the tracker, or nil when the process is already gone.
    static func begin(station: String, pid: pid_t, grace: Duration) -> OrphanKill? {
        guard let start = ProcessTable.startTime(of: pid) else { return nil }
        kill(pid, SIGTERM)
        return OrphanKill(station: station, pid: pid, startTime: start, killAt: .now + grace)
    }

    /// True when the process is gone; escalates to SIGKILL after the grace period.
    mutating func poll() -> Bool {
        _ = ProcessTable.reap(pid)  // in case it is our own child (a dropped supervisor's)
        guard ProcessTable.startTime(of: pid) == startTime else { return true }
        if !sentKill, ContinuousClock.now >= killAt {
            kill(pid, SIGKILL)
            sentKill = true
        }
        return false
    }
}
