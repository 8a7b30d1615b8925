import FoundationEssentials
import FleetProtocol
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Supervises one ffmpeg per camera station and reacts to a hung or dead recorder in seconds.
///
/// Level-triggered: `reconcile(_:)` records what should run; every tick of `run()` compares
/// that with what runs and acts. A recorder fails when its process exits (any exit, even
/// code 0 — ffmpeg exits 0 when its RTSP timeout fires), when its open segment has not grown
/// for `stallSeconds`, or when no segment closed within 1.5 × `segmentSeconds`. Failures
/// restart after an exponential back-off (1 s doubling to 60 s, reset once a recorder ran
/// stably). Nothing here sleeps while holding up other stations: waits are ticks.
///
/// Closed segments are learnt from ffmpeg's CSV segment list the moment their line appears,
/// probed with ffprobe off the actor, and handed over with `takeSegments()`; events
/// (`recorder.started|exited|stalled|restarted|stopped`, `segment.invalid`) with
/// `takeEvents()`. Camera passwords are read from `passwordFile` at each start and never
/// appear in logs, events, statuses or errors.
///
/// ffmpeg runs in its own process group, so terminal signals to the agent do not reach it
/// directly; the agent must call `stopAll()` on SIGTERM. Under systemd a stop also kills
/// the whole cgroup, and a recorder left behind by a crashed agent is found through its pid
/// file (or /proc) and killed before a new one starts: never two ffmpeg for one station.
public actor RecorderSupervisor {
    let configuration: Configuration
    let logger: Logger
    var recorders: [String: StationRecorder] = [:]
    var orphans: [OrphanKill] = []
    var events: [AgentEvent] = []
    var segments: [SegmentRecord] = []
    /// Absolute paths of closed segments whose ffprobe is queued or running.
    var probing: Set<String> = []
    var probeQueue: [PendingProbe] = []
    var probesRunning = 0
    /// True between ``handOffRecorders()`` and ``resumeAfterHandoff()``: nothing is started, stopped or restarted.
    var handedOff = false
    /// Recorders handed over by the previous agent process, by station, until the first reconcile.
    var pendingAdoptions: [String: RecorderHandoff] = [:]
    /// Notices the wall clock stepping between ticks (NTP at boot, `date -s`).
    var wallClockWatch: ClockJumpDetector
    /// Steps seen so far, to put segment start times named on the old clock onto the new one.
    var clockSteps = WallClockSteps()
    /// Increases with every closed segment queued for ffprobe.
    var probeSeq = 0

    static let maxConcurrentProbes = 2

    static let maxQueuedEvents = 2000

    /// - Parameters:
    ///   - configuration: paths and timings.
    ///   - logger: supervisor messages (already redacted); ffmpeg's own output goes to `logDir`.
    public init(configuration: Configuration, logger: Logger = Logger(label: "stationfleet.recorder")) {
        self.configuration = configuration
        self.logger = logger
        wallClockWatch = ClockJumpDetector(wall: configuration.wallClock(), monotonic: .now, toleranceSeconds: 2)
    }

    // MARK: Desired state

    /// Makes the set of recorders match `specs`: starts missing ones, stops removed ones,
    /// restarts those whose spec changed, and leaves the rest untouched (same pid).
    /// Also kills leftover recorders (from pid files) of stations no longer assigned.
    /// Returns at once; processes start and stop on the following ticks.
    public func reconcile(_ specs: [RecorderSpec]) async {
        guard !handedOff else { return }
        var desired: [String: RecorderSpec] = [:]
        for spec in specs { desired[spec.station] = spec }
        let now = ContinuousClock.now

        for (station, var recorder) in recorders where desired[station] == nil {
            switch recorder.phase {
            case .running(let run):
                recorder.phase = terminate(run, then: .remove(reason: "no longer assigned to this node"))
                recorders[station] = recorder
            case .terminating(let run, let killAt, let sentKill, _):
                recorder.phase = .terminating(run, killAt: killAt, sentKill: sentKill, then: .remove(reason: "no longer assigned to this node"))
                recorders[station] = recorder
            case .waiting, .stopped:
                recorders[station] = nil
                emit("recorder.stopped", station: station, "\(station) recorder removed: no longer assigned to this node", log: recorder.log)
            }
        }

        for (station, spec) in desired {
            guard var recorder = recorders[station] else {
                if let entry = pendingAdoptions.removeValue(forKey: station), let adopted = adopt(entry, spec: spec) {
                    recorders[station] = adopted
                    continue
                }
                recorders[station] = StationRecorder(spec: spec, phase: .waiting(until: now), log: makeLog(station: station))
                continue
            }
            let changed = recorder.spec != spec
            recorder.spec = spec
            switch recorder.phase {
            case .running(let run) where changed:
                recorder.pendingReason = "configuration changed"
                recorder.failures = 0
                recorder.phase = terminate(run, then: .respawn(reason: "configuration changed"))
            case .terminating(let run, let killAt, let sentKill, let then):
                if case .remove = then {
                    recorder.phase = .terminating(run, killAt: killAt, sentKill: sentKill, then: .respawn(reason: "assigned again"))
                } else if case .stop = then {
                    recorder.phase = .terminating(run, killAt: killAt, sentKill: sentKill, then: .respawn(reason: "assigned again"))
                }
            case .stopped:
                recorder.failures = 0
                recorder.phase = .waiting(until: now)
            case .waiting where changed:
                recorder.failures = 0
                recorder.phase = .waiting(until: now)
            case .running, .waiting:
                break
            }
            recorders[station] = recorder
        }

        dropUnadopted()
        // Leftovers of stations this node no longer records.
        for station in PidFile.stations(stateDir: configuration.stateDir) where desired[station] == nil && recorders[station] == nil {
            if let file = PidFile.read(stateDir: configuration.stateDir, station: station), file.isAlive,
               !orphans.contains(where: { $0.pid == file.pid }),
               let orphan = OrphanKill.begin(station: station, pid: file.pid, grace: configuration.killGrace) {
                orphans.append(orphan)
                emit("recorder.stopped", station: station, "\(station): stopping leftover recorder pid \(file.pid); station no longer assigned", log: nil)
            }
            PidFile.remove(stateDir: configuration.stateDir, station: station)
        }
        tick()
    }

    // MARK: Supervision loop

    /// Checks every recorder each `tickInterval` until the calling task is cancelled.
    /// Cancellation does not stop the recorders; call `stopAll()` for that.
    public func run() async {
        while !Task.isCancelled {
            tick()
            try? await Task.sleep(for: configuration.tickInterval)
        }
    }

    // MARK: Remote restart

    /// Restarts one station's recorder now (resetting its back-off) and returns once the new
    /// ffmpeg's open segment is growing, e.g. `restarted ROST2 (pid 1234), segment ROST2_….mkv growing`.
    ///
    /// Waiting polls with a deadline and suspends between polls, so other stations keep
    /// being supervised. Works whether or not `run()` is running.
    /// - Throws: `.unknownStation` when this node records no such station; `.restartTimedOut`
    ///   (with the last ffmpeg error, redacted) when no segment grows in time, e.g. the camera
    ///   is unreachable; `.restartAborted` when the station is removed or stopped meanwhile.
    public func restart(station: String, reason: String, timeout: Duration) async throws(RecorderError) -> String {
        guard var recorder = recorders[station] else { throw .unknownStation(station) }
        let oldPid = recorder.pid
        let why = "remote restart: \(reason)"
        recorder.failures = 0
        recorder.pendingReason = why
        switch recorder.phase {
        case .running(let run):
            recorder.phase = terminate(run, then: .respawn(reason: why))
        case .terminating(let run, let killAt, let sentKill, _):
            recorder.phase = .terminating(run, killAt: killAt, sentKill: sentKill, then: .respawn(reason: why))
        case .waiting, .stopped:
            recorder.phase = .waiting(until: .now)
        }
        recorders[station] = recorder
        log(recorder.log, "\(station): \(why)")

        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var baseline: (pid: pid_t, name: String, bytes: UInt64)?
        while clock.now < deadline {
            tick()
            guard let current = recorders[station] else {
                throw .restartAborted(station: station, reason: "the station was removed from this node")
            }
            if case .stopped = current.phase {
                throw .restartAborted(station: station, reason: "the recorder was stopped")
            }
            if case .running(let run) = current.phase, run.pid != oldPid, let name = run.openSegment, run.openBytes > 0 {
                if let base = baseline, base.pid == run.pid, name != base.name || run.openBytes > base.bytes {
                    return "restarted \(station) (pid \(run.pid)), segment \(name) growing"
                }
                if baseline?.pid != run.pid || baseline?.name != name { baseline = (run.pid, name, run.openBytes) }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        let detail = recorders[station].map { ($0.lastError ?? "state \($0.state.rawValue)") } ?? "removed"
        throw .restartTimedOut(station: station, seconds: timeout.seconds, detail: detail)
    }

    // MARK: Stop

    /// SIGTERM to every recorder, SIGKILL to those still alive after `killGrace`; all end
    /// `stopped`. Waits (bounded) for the last segments' ffprobe so `takeSegments()` has them.
    public func stopAll() async {
        if handedOff { resumeAfterHandoff() }
        for (station, var recorder) in recorders {
            switch recorder.phase {
            case .running(let run):
                recorder.phase = terminate(run, then: .stop(reason: "supervisor stopping"))
            case .terminating(let run, let killAt, let sentKill, _):
                recorder.phase = .terminating(run, killAt: killAt, sentKill: sentKill, then: .stop(reason: "supervisor stopping"))
            case .waiting:
                recorder.phase = .stopped
                emit("recorder.stopped", station: station, "\(station) recorder stopped: supervisor stopping", log: recorder.log)
            case .stopped:
                break
            }
            recorders[station] = recorder
        }
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.killGrace + .seconds(2)
        while clock.now < deadline {
            tick()
            let busy = recorders.values.contains { if case .terminating = $0.phase { return true } else { return false } }
            if !busy && orphans.isEmpty && probing.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: Reports

    /// The live state of every assigned station, sorted by name. Never contains a password.
    public func statuses() -> [StationStatus] {
        recorders.keys.sorted().compactMap { station in
            guard let recorder = recorders[station] else { return nil }
            let run = recorder.run
            return StationStatus(station: station, state: recorder.state, pid: recorder.pid, restarts: recorder.restarts,
                                 currentSegment: run?.openSegment, currentSegmentBytes: run?.openSegment == nil ? nil : run?.openBytes,
                                 newestSegment: recorder.newestSegment, newestSegmentAt: recorder.newestSegmentAt,
                                 lastError: recorder.lastError,
                                 newestSegmentAgeSeconds: recorder.lastValidClose.map { (ContinuousClock.now - $0).seconds })
        }
    }

    /// The live state of one station, nil when it is not assigned.
    public func status(of station: String) -> StationStatus? {
        statuses().first { $0.station == station }
    }

    /// Events since the last call (oldest first); the caller persists and ships them.
    public func takeEvents() -> [AgentEvent] {
        defer { events.removeAll() }
        return events
    }

    /// Closed and probed segments since the last call. After an agent restart a segment
    /// may be reported again (its list line is re-read): consumers upsert by (station, name).
    public func takeSegments() -> [SegmentRecord] {
        defer { segments.removeAll() }
        return segments
    }

    /// Absolute paths of segment files an archiver must not take: every file a live recorder
    /// may still be writing (anything newer than its last listed segment) and closed files
    /// whose ffprobe has not finished. Computed from the folder at call time.
    public func openSegments() -> Set<String> {
        var paths = probing
        for recorder in recorders.values {
            guard let run = recorder.run else { continue }
            for name in unlistedNames(run) {
                paths.insert(run.stationDir.pathJoining(name))
            }
        }
        return paths
    }

    // MARK: Helpers shared with the tick

    /// Sends SIGTERM and returns the terminating phase.
    /// SIGTERM now, SIGKILL after `grace` (default `killGrace`) if it is still there.
    func terminate(_ run: RecorderRun, then: AfterStop, grace: Duration? = nil) -> RecorderPhase {
        kill(run.pid, SIGTERM)
        return .terminating(run, killAt: .now + (grace ?? configuration.killGrace), sentKill: false, then: then)
    }

    func makeLog(station: String) -> RotatingLog {
        try? FileManager.default.createDirectory(atPath: configuration.logDir, withIntermediateDirectories: true)
        let path = configuration.logDir.pathJoining("recorder-\(station).log")
        return RotatingLog(path: path, maxBytes: configuration.logMaxBytes, files: configuration.logFiles)
    }

    func log(_ log: RotatingLog?, _ message: String) {
        log?.write("[supervisor] \(message)")
    }

    /// Queues an event, logs it, and writes it into the station's log file.
    func emit(_ kind: String, station: String, _ message: String, log file: RotatingLog?) {
        let event = AgentEvent(kind: kind, station: station, message: message)
        events.append(event)
        if events.count > Self.maxQueuedEvents { events.removeFirst(events.count - Self.maxQueuedEvents) }
        log(file, "\(kind): \(message)")
        switch kind {
        case "recorder.started", "recorder.stopped": logger.info("\(message)", metadata: ["station": "\(station)", "event": "\(kind)"])
        default: logger.warning("\(message)", metadata: ["station": "\(station)", "event": "\(kind)"])
        }
    }

    /// Segment names in the run's folder not yet listed as closed, newest last.
    func unlistedNames(_ run: RecorderRun) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.stationDir)) ?? []
        let floor = max(run.firstName, run.lastClosedName ?? "")
        let tag = run.command.nameTag
        return names.filter {
            SegmentName.matches($0, station: run.station) && SegmentName.tag(of: $0, station: run.station) == tag
                && $0 >= floor && $0 != run.lastClosedName
        }.sorted()
    }
}
