import FoundationEssentials
import FleetProtocol
#if canImport(Glibc)
import Glibc
#endif

extension RecorderSupervisor {
    /// One supervision pass over every station. Synchronous and non-blocking: it only
    /// reaps, stats, reads the segment lists and sends signals.
    func tick() {
        guard !handedOff else { return }
        if let jump = wallClockWatch.observe(wall: configuration.wallClock(), monotonic: .now) { clockStepped(jump) }
        var remaining: [OrphanKill] = []
        for var orphan in orphans where !orphan.poll() { remaining.append(orphan) }
        orphans = remaining
        for station in recorders.keys.sorted() {
            guard var recorder = recorders[station] else { continue }
            let remove = check(&recorder)
            recorders[station] = remove ? nil : recorder
        }
    }

    /// Advances one station; returns true when it must be forgotten.
    private func check(_ recorder: inout StationRecorder) -> Bool {
        let now = ContinuousClock.now
        switch recorder.phase {
        case .stopped:
            return false
        case .waiting(let until):
            guard now >= until, !orphans.contains(where: { $0.station == recorder.spec.station }) else { return false }
            start(&recorder)
            return false
        case .running(var run):
            if let exit = ProcessTable.reap(run.pid) {
                var detail = run.tail.lastMeaningful.map { ": \($0)" } ?? ""
                if exit == .code(0) {
                    let silence = NumberText.fixed(run.rtspTimeout * 2, decimals: 0)
                    detail += " (ffmpeg gives up like this when the camera sends nothing for about \(silence) s)"
                }
                let reason = "ffmpeg (pid \(run.pid)) \(exit)\(detail)"
                emit("recorder.exited", station: run.station, "\(run.station) recorder \(reason)", log: recorder.log)
                finish(&recorder, run: run, then: .backoff(reason: reason, since: now))
                return false
            }
            observe(&run, recorder: &recorder, now: now)
            if let stall = stallReason(run, recorder: recorder, now: now) {
                emit("recorder.stalled", station: run.station, "\(run.station) stalled: \(stall); restarting", log: recorder.log)
                recorder.lastError = "stalled: \(stall)"
                recorder.phase = terminate(run, then: .backoff(reason: "stalled: \(stall)", since: now),
                                           grace: configuration.stallKillGrace)
                return false
            }
            let resetAfter = configuration.backoffResetAfter ?? .seconds(min(60, 2 * max(1, recorder.spec.segmentSeconds)))
            if recorder.failures > 0, run.closedCount > 0, now - run.startedAt >= resetAfter {
                // Recording again for a while: the failure streak, and its error, are over (the
                // events keep the history). A stale error would fail a later rollout's health check.
                recorder.failures = 0
                recorder.lastError = nil
            }
            recorder.phase = .running(run)
            return false
        case .terminating(var run, let killAt, var sentKill, let then):
            if ProcessTable.reap(run.pid) != nil {
                return finish(&recorder, run: run, then: then)
            }
            if !sentKill, now >= killAt {
                kill(-run.pid, SIGKILL)
                kill(run.pid, SIGKILL)
                sentKill = true
                log(recorder.log, "\(run.station): ffmpeg pid \(run.pid) ignored SIGTERM for \(configuration.killGrace.seconds) s; sent SIGKILL")
            }
            collectClosed(&run, recorder: &recorder, now: now)
            recorder.phase = .terminating(run, killAt: killAt, sentKill: sentKill, then: then)
            return false
        }
    }

    /// Reads newly closed segments and the open segment's size.
    private func observe(_ run: inout RecorderRun, recorder: inout StationRecorder, now: ContinuousClock.Instant) {
        let closed = collectClosed(&run, recorder: &recorder, now: now)
        let rescan = closed || run.openSegment == nil || run.lastScanAt.map { now - $0 > .seconds(5) } ?? true
        if rescan {
            run.lastScanAt = now
            let newest = unlistedNames(run).last
            if newest != run.openSegment {
                run.openSegment = newest
                run.openBytes = 0
                if newest != nil { run.lastGrowthAt = max(run.lastGrowthAt, now) }
            }
        }
        guard let name = run.openSegment else { return }
        let path = run.stationDir.pathJoining(name)
        var info = stat()
        guard stat(path, &info) == 0 else {
            run.openSegment = nil
            return
        }
        let bytes = UInt64(info.st_size)
        if bytes != run.openBytes {
            if bytes > run.openBytes { run.lastGrowthAt = max(run.lastGrowthAt, now) }
            run.openBytes = bytes
        }
    }

    /// Handles segment list lines; returns true when any segment closed.
    @discardableResult
    func collectClosed(_ run: inout RecorderRun, recorder: inout StationRecorder, now: ContinuousClock.Instant) -> Bool {
        let names = run.list.readNewNames()
        guard !names.isEmpty else { return false }
        for name in names {
            run.closedCount += 1
            if name > (run.lastClosedName ?? "") { run.lastClosedName = name }
            if run.openSegment == name { run.openSegment = nil }
            probe(station: run.station, name: name, stationDir: run.stationDir)
        }
        run.lastCloseAt = now
        return true
    }

    /// Why a running recorder counts as stalled, or nil.
    private func stallReason(_ run: RecorderRun, recorder: StationRecorder, now: ContinuousClock.Instant) -> String? {
        let spec = run.command.spec
        let stall = Duration.seconds(max(1, spec.stallSeconds))
        if now - run.lastGrowthAt > stall {
            let idle = NumberText.fixed((now - run.lastGrowthAt).seconds, decimals: 1)
            if let name = run.openSegment {
                return "open segment \(name) has not grown for \(idle) s (stallSeconds \(spec.stallSeconds))"
            }
            return "no open segment for \(idle) s (stallSeconds \(spec.stallSeconds))"
        }
        let limit = Duration.milliseconds(1500 * max(1, spec.segmentSeconds))
        let since = run.lastCloseAt ?? (run.startedAt + configuration.startGrace)
        if now - since > limit {
            return "no segment closed for \(NumberText.fixed((now - since).seconds, decimals: 1)) s (1.5 × segmentSeconds \(spec.segmentSeconds))"
        }
        return nil
    }

    /// After a recorder's process is gone: drain its list, deal with a segment it left
    /// open, and move on as `then` says. Returns true when the station is to be forgotten.
    @discardableResult
    func finish(_ recorder: inout StationRecorder, run: RecorderRun, then: AfterStop) -> Bool {
        var run = run
        let now = ContinuousClock.now
        collectClosed(&run, recorder: &recorder, now: now)
        // A file never listed was left open by a kill: probe it (it usually lacks a
        // duration and is reported invalid) or delete it when empty.
        for name in unlistedNames(run) {
            let path = run.stationDir.pathJoining(name)
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if info.st_size == 0 {
                unlink(path)
                log(recorder.log, "\(run.station): removed empty segment \(name) left by pid \(run.pid)")
            } else {
                probe(station: run.station, name: name, stationDir: run.stationDir)
            }
        }
        if PidFile.read(stateDir: configuration.stateDir, station: run.station)?.pid == run.pid {
            PidFile.remove(stateDir: configuration.stateDir, station: run.station)
        }
        switch then {
        case .backoff(let reason, let since):
            recorder.failures += 1
            recorder.lastError = reason
            recorder.pendingReason = reason
            let delay = configuration.restartBackoff.delay(attempt: recorder.failures - 1)
            recorder.phase = .waiting(until: since + delay)
            log(recorder.log, "\(run.station): next start in \(delay.seconds) s (failure \(recorder.failures))")
        case .respawn(let reason):
            recorder.pendingReason = reason
            recorder.phase = .waiting(until: now)
        case .stop(let reason):
            recorder.phase = .stopped
            emit("recorder.stopped", station: run.station, "\(run.station) recorder stopped (pid \(run.pid)): \(reason)", log: recorder.log)
        case .remove(let reason):
            emit("recorder.stopped", station: run.station, "\(run.station) recorder stopped (pid \(run.pid)): \(reason)", log: recorder.log)
            return true
        }
        return false
    }

    /// Starts ffmpeg for a waiting station, first clearing any leftover recorder of it.
    private func start(_ recorder: inout StationRecorder) {
        let spec = recorder.spec
        let station = spec.station
        // SIGTERM only takes effect on a silent camera once ffmpeg's blocked read times out,
        // so the socket timeout stays below the kill grace: the last segment is finalised.
        let timeout = rtspTimeout(for: spec)
        let wallNow = configuration.wallClock()
        let newestOpened = ((try? FileManager.default.contentsOfDirectory(atPath: spec.stationDir)) ?? [])
            .compactMap { SegmentName.startDate(of: $0, station: station) }.max()
        // ffmpeg names segments by the second they open and truncates an existing file. A name
        // over a second in the future means the wall clock is behind (set back, or a Pi before
        // NTP): this run's names get a tag of their own, so none can repeat one on disk.
        let nameTag = newestOpened.map { $0.timeIntervalSince(wallNow) > 0.15 } == true ? RecorderCommand.makeNameTag() : nil
        let command: RecorderCommand
        do {
            command = try RecorderCommand(spec: spec, rtspTimeoutSeconds: timeout, nameTag: nameTag)
        } catch {
            fail(&recorder, error.description)
            return
        }
        // Never two ffmpeg for one station: kill what a pid file or /proc shows first.
        var leftovers = Set(ProcessTable.ffmpegProcesses(writingTo: command.outputPattern))
        if let file = PidFile.read(stateDir: configuration.stateDir, station: station), file.isAlive { leftovers.insert(file.pid) }
        if !leftovers.isEmpty {
            for pid in leftovers.sorted() where !orphans.contains(where: { $0.pid == pid }) {
                if let orphan = OrphanKill.begin(station: station, pid: pid, grace: configuration.killGrace) {
                    orphans.append(orphan)
                    log(recorder.log, "\(station): stopping leftover ffmpeg pid \(pid) before starting a new one")
                }
            }
            return
        }
        for dir in [spec.stationDir, configuration.stateDir] {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                fail(&recorder, RecorderError.cannotCreateDirectory(station: station, path: dir, reason: PosixIO.reason(error)).description)
                return
            }
        }
        // A plain run waits until the newest existing name is over a second old, so no name repeats.
        if nameTag == nil, let opened = newestOpened {
            let wait = opened.timeIntervalSince(wallNow) + 1.05
            if wait > 0 {
                recorder.phase = .waiting(until: .now + .milliseconds(Int(wait * 1000)))
                return
            }
        }
        // Lines a previous ffmpeg listed but nobody handled (agent crash): take them now,
        // then remove the list so the new ffmpeg's truncation cannot be mistaken.
        let listPath = spec.stationDir.pathJoining(RecorderCommand.listFileName)
        var leftoverList = SegmentListTail(path: listPath)
        for name in leftoverList.readNewNames() where FileManager.default.fileExists(atPath: spec.stationDir.pathJoining(name)) {
            if !recorder.everStarted { probe(station: station, name: name, stationDir: spec.stationDir) }
        }
        unlink(listPath)

        let spawned: ChildProcess
        do {
            spawned = try ChildProcess.spawn(configuration.ffmpegPath, command.arguments, stderr: .pipe)
        } catch {
            fail(&recorder, error.description)
            return
        }
        guard let stderrFD = spawned.stderr else { return }  // always set: spawned with stderr: .pipe
        let tail = StderrTail()
        StderrPump.start(fd: stderrFD, pid: spawned.pid, log: recorder.log, redactor: command.redactor, tail: tail)
        if let startTime = ProcessTable.startTime(of: spawned.pid) {
            PidFile(station: station, pid: spawned.pid, startTime: startTime, commandHash: command.commandHash,
                    outputPattern: command.outputPattern).write(stateDir: configuration.stateDir)
        }
        let now = ContinuousClock.now
        var run = RecorderRun(pid: spawned.pid, command: command, rtspTimeout: timeout, startedAt: now,
                              firstName: SegmentClock.name(station: station, at: wallNow, tag: nameTag),
                              tail: tail, list: SegmentListTail(path: listPath),
                              lastGrowthAt: now + configuration.startGrace)
        run.stderrFD = stderrFD
        log(recorder.log, "\(station): started ffmpeg pid \(spawned.pid): \(configuration.ffmpegPath) \(command.redactedCommandLine)")
        if let nameTag, let opened = newestOpened {
            emit("recorder.clock-behind", station: station,
                 "\(station): the wall clock is \(Int(opened.timeIntervalSince(wallNow).rounded())) s behind the newest segment on disk; "
                 + "this run's segments are named …-\(nameTag).mkv so none is overwritten", log: recorder.log)
        }
        if recorder.everStarted {
            recorder.restarts += 1
            let reason = recorder.pendingReason ?? "restart"
            emit("recorder.restarted", station: station,
                 "\(station) recorder restarted (pid \(spawned.pid), restart \(recorder.restarts)) after: \(reason)", log: recorder.log)
        } else {
            emit("recorder.started", station: station, "\(station) recorder started (pid \(spawned.pid)) from \(command.redactedURL)", log: recorder.log)
        }
        recorder.everStarted = true
        recorder.pendingReason = nil
        recorder.phase = .running(run)
    }

    /// ffmpeg's RTSP socket timeout for `spec`, in seconds.
    func rtspTimeout(for spec: RecorderSpec) -> Double {
        max(0.5, min(Double(max(1, spec.stallSeconds)), configuration.maxRTSPTimeout.seconds,
                     configuration.killGrace.seconds * 2 / 3))
    }

    /// A start that could not happen counts as a failure and backs off.
    private func fail(_ recorder: inout StationRecorder, _ message: String) {
        let station = recorder.spec.station
        recorder.failures += 1
        recorder.lastError = message
        recorder.pendingReason = message
        let delay = configuration.restartBackoff.delay(attempt: recorder.failures - 1)
        recorder.phase = .waiting(until: .now + delay)
        emit("recorder.exited", station: station, "\(station) recorder could not start: \(message); retry in \(delay.seconds) s", log: recorder.log)
    }

    /// Queues ffprobe for a closed segment; at most `maxConcurrentProbes` run at once, each
    /// in a child task (ffprobe itself runs on its own thread), and its SegmentRecord is queued.
    func probe(station: String, name: String, stationDir: String) {
        let path = stationDir.pathJoining(name)
        guard !probing.contains(path) else { return }
        probing.insert(path)
        probeSeq += 1
        probeQueue.append(PendingProbe(station: station, name: name, path: path, seq: probeSeq, closedAt: .now))
        startProbes()
    }

    private func startProbes() {
        while probesRunning < Self.maxConcurrentProbes, !probeQueue.isEmpty {
            let next = probeQueue.removeFirst()
            probesRunning += 1
            let ffprobe = configuration.ffprobePath
            Task {
                let result = await SegmentProbe.probe(ffprobePath: ffprobe, file: next.path)
                self.probed(next, result: result)
            }
        }
    }

    private func probed(_ probe: PendingProbe, result: ProbeResult) {
        let (station, name, path) = (probe.station, probe.name, probe.path)
        probing.remove(path)
        probesRunning -= 1
        startProbes()
        var info = stat()
        let bytes: UInt64 = stat(path, &info) == 0 ? UInt64(info.st_size) : 0
        var start = SegmentName.startDate(of: name, station: station) ?? Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
        // Named on the clock of its opening: a step noticed since then moves it onto today's clock.
        start += clockSteps.correction(forTimeNamedAt: probe.closedAt - .milliseconds(Int64((result.duration ?? 0) * 1000)))
        let record = SegmentRecord(station: station, name: name, start: start, durationSeconds: result.duration ?? 0,
                                   bytes: bytes, valid: result.valid)
        // Only a hand-off: the agent's reconcile pass takes these into its on-disk journal every second.
        segments.append(record)
        if var recorder = recorders[station] {
            if result.valid { recorder.lastValidClose = .now }
            if result.valid, probe.seq > recorder.newestSegmentSeq {
                recorder.newestSegment = name
                recorder.newestSegmentAt = configuration.wallClock()
                recorder.newestSegmentSeq = probe.seq
            }
            recorders[station] = recorder
            if let problem = result.problem {
                emit("segment.invalid", station: station, "\(station) segment \(name) is invalid: \(problem)", log: recorder.log)
            }
        } else if let problem = result.problem {
            emit("segment.invalid", station: station, "\(station) segment \(name) is invalid: \(problem)", log: nil)
        }
    }
}
