import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Handing running recorders over to the build the agent exec's, and adopting them there
/// (docs/agent-upgrades.md, steps 3 and 5).
extension RecorderSupervisor {
    /// Freezes supervision and describes every running recorder for the successor process,
    /// clearing FD_CLOEXEC on their stderr pipes so the fds survive `execve`. Until
    /// ``resumeAfterHandoff()`` the supervisor neither starts, stops nor restarts anything.
    public func handOffRecorders() -> [RecorderHandoff] {
        tick()
        handedOff = true
        var entries: [RecorderHandoff] = []
        for station in recorders.keys.sorted() {
            guard let recorder = recorders[station], case .running(let run) = recorder.phase, run.stderrFD >= 0,
                  let startTime = ProcessTable.startTime(of: run.pid) else { continue }
            _ = fcntl(run.stderrFD, F_SETFD, 0)
            let probingNames = probing.filter { $0.pathParent == run.stationDir }
                .map { $0.pathLastName }.sorted()
            entries.append(RecorderHandoff(
                station: station, pid: run.pid, startTime: startTime, commandHash: run.command.commandHash,
                stderrFD: run.stderrFD, listOffset: run.list.consumedOffset, firstName: run.firstName,
                lastClosedName: run.lastClosedName, probing: probingNames, restarts: recorder.restarts,
                nameTag: run.command.nameTag))
        }
        return entries
    }

    /// Undoes ``handOffRecorders()`` after an `execve` that did not happen: the fds are close-on-exec
    /// again and supervision goes on.
    public func resumeAfterHandoff() {
        for recorder in recorders.values {
            if let run = recorder.run, run.stderrFD >= 0 { _ = fcntl(run.stderrFD, F_SETFD, FD_CLOEXEC) }
        }
        handedOff = false
    }

    /// Offers recorders handed over by the process this one replaced; each is adopted at the
    /// first ``reconcile(_:)`` that assigns its station, the rest are closed there.
    public func acceptHandoff(_ entries: [RecorderHandoff]) {
        for entry in entries {
            // Ours again, but never inherited by anything we spawn.
            _ = fcntl(entry.stderrFD, F_SETFD, FD_CLOEXEC)
            pendingAdoptions[entry.station] = entry
        }
    }

    /// The adopted recorder for `spec`, or nil when `entry` cannot be adopted (its fd is then closed).
    func adopt(_ entry: RecorderHandoff, spec: RecorderSpec) -> StationRecorder? {
        let timeout = rtspTimeout(for: spec)
        guard ProcessTable.startTime(of: entry.pid) == entry.startTime,
              let command = try? RecorderCommand(spec: spec, rtspTimeoutSeconds: timeout, nameTag: entry.nameTag),
              command.commandHash == entry.commandHash else {
            close(entry.stderrFD)
            logger.notice("handed-off recorder not adopted; handled as a leftover",
                          metadata: ["station": "\(entry.station)", "pid": "\(entry.pid)"])
            return nil
        }
        let log = makeLog(station: spec.station)
        let tail = StderrTail()
        StderrPump.start(fd: entry.stderrFD, pid: entry.pid, log: log, redactor: command.redactor, tail: tail)
        let listPath = spec.stationDir.pathJoining(RecorderCommand.listFileName)
        let now = ContinuousClock.now
        var run = RecorderRun(pid: entry.pid, command: command, rtspTimeout: timeout, startedAt: now,
                              firstName: entry.firstName, tail: tail,
                              list: SegmentListTail(path: listPath, offset: entry.listOffset),
                              lastGrowthAt: now + configuration.startGrace)
        run.lastClosedName = entry.lastClosedName
        run.stderrFD = entry.stderrFD
        var recorder = StationRecorder(spec: spec, phase: .running(run), log: log)
        recorder.everStarted = true
        recorder.restarts = entry.restarts
        for name in entry.probing { probe(station: spec.station, name: name, stationDir: spec.stationDir) }
        emit("recorder.adopted", station: spec.station,
             "\(spec.station) recorder adopted (pid \(entry.pid)) from the previous agent process", log: log)
        return recorder
    }

    /// Closes the fds of handed-off recorders no assignment took; their ffmpeg is then a
    /// leftover like any other (pid file), stopped before a new one starts.
    func dropUnadopted() {
        for entry in pendingAdoptions.values {
            close(entry.stderrFD)
            logger.notice("handed-off recorder not assigned any more; handled as a leftover",
                          metadata: ["station": "\(entry.station)", "pid": "\(entry.pid)"])
        }
        pendingAdoptions.removeAll()
    }
}
