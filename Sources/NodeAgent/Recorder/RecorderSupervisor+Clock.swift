import FoundationEssentials

/// What the supervisor does when the wall clock steps (NTP setting a Pi's clock at boot, an
/// operator's `date -s`). Intervals are on the monotonic clock and need nothing; names do:
/// - every step is remembered, so segments opened before it are reported at the right time
///   (``WallClockSteps``);
/// - a step *back* restarts the running recorders: the running ffmpeg would name its next
///   segments on the earlier clock and truncate files of the same names already on disk. The
///   new run finds names from the future in the folder and tags its own (``SegmentName``).
extension RecorderSupervisor {
    func clockStepped(_ jump: ClockJumpDetector.Jump) {
        clockSteps.record(seconds: jump.seconds, at: .now)
        logger.warning("wall clock stepped \(jump.description)", metadata: ["seconds": "\(jump.seconds)"])
        guard jump.seconds < 0 else { return }
        let reason = "wall clock set back (\(jump.description)): new segment names could repeat existing ones"
        for station in recorders.keys.sorted() {
            guard var recorder = recorders[station], case .running(let run) = recorder.phase else { continue }
            recorder.pendingReason = reason
            recorder.phase = terminate(run, then: .respawn(reason: reason))
            log(recorder.log, "\(station): \(reason); restarting")
            recorders[station] = recorder
        }
    }
}
