import FleetProtocol
import Dispatch
import FoundationEssentials
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One archive job: copies finished files to the target with verification, records them in the
/// ledger, makes thumbnails, and cleans up verified local files.
///
/// `run` is blocking (file I/O, hashing, child processes): call it off the cooperative pool
/// (`JobRunner` does). A run is resumable after a crash at any point: temporary names are
/// journaled in the ledger and removed at the next run, a file is only ever visible under its
/// final name after fsync + rename, and a verified file is never sent again.
///
/// Emergency rule vs. safety brake: deletions made because the source disk is below
/// `minFreePercent` are *not* stopped by the safety brake (stopping them would fill the disk and
/// stop recording), but they are bounded to the bytes needed to get back above the threshold,
/// go oldest first, and each one still re-hashes the target right before deleting.
public struct ArchiveJob: Sendable {
    public let spec: ArchiveJobSpec
    public let ledger: Ledger
    public let configuration: ArchiveConfiguration
    public let logger: Logger
    public let cancel: CancellationFlag
    /// Where the run's progress goes for the agent's heartbeats (phases `scan`, `copy`).
    public let tracker: JobProgressTracker?

    public init(spec: ArchiveJobSpec, ledger: Ledger, configuration: ArchiveConfiguration = ArchiveConfiguration(),
                logger: Logger = Logger(label: "stationfleet.archive"), cancel: CancellationFlag = CancellationFlag(),
                tracker: JobProgressTracker? = nil) {
        self.spec = spec
        self.ledger = ledger
        self.configuration = configuration
        self.logger = logger
        self.cancel = cancel
        self.tracker = tracker
    }

    /// Creates the target marker at `root` (the documented set-up step, done once with the NAS mounted).
    public static func markTarget(_ root: String) throws {
        try FileIO.makeDirectories(root)
        let path = TargetTemplate.markerPath(root: root)
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.SystemError(operation: "create", path: path, code: errno) }
        let text = "StationFleet archive target. Archive jobs only write here while this file exists.\n"
        try text.utf8CString.dropLast().withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
        try FileIO.fsyncFile(fd, path: path)
        close(fd)
        try FileIO.fsyncDirectory(root)
    }

    /// Runs the job once. `openFiles` are paths a recorder is writing (never taken).
    public func run(openFiles: Set<String>, now: Date = Date()) -> ArchiveRunReport {
        let state = RunState(job: spec.name, logger: logger)
        let started = Date()
        let clock = ContinuousClock(), startedMonotonic = clock.now  // a duration, not two wall times
        var fatal: ArchiveError?
        var walks: [(ArchiveSource, FileWalker.Result)] = []
        let open = Set(openFiles.map { $0.pathStandardized })
        do {
            try checkTargets()
            try cleanJournaledPartials()
            tracker?.begin(phase: "scan", bytesTotal: nil)
            // Every source is walked first, so the run knows its files and bytes up front.
            var work: [(ArchiveSource, [FoundFile])] = []
            for source in spec.sources {
                guard FileIO.stat(source.path)?.isDirectory == true else {
                    state.event("archive.source-missing", station: source.station, "source folder \(source.path) does not exist")
                    continue
                }
                let walk = FileWalker.walk(source.path)
                for p in walk.problems {
                    state.fileFailed("archive.unreadable", station: source.station, "skipped unreadable \(p.path): \(p.reason)")
                }
                walks.append((source, walk))
                work.append((source, finishedFiles(walk.files, source: source, open: open, now: now).sorted(by: { $0.mtime < $1.mtime })))
            }
            tracker?.begin(phase: "copy", bytesTotal: work.reduce(0) { $0 + $1.1.reduce(0) { $0 + $1.size } },
                           filesTotal: work.reduce(0) { $0 + $1.1.count })
            for (source, candidates) in work {
                try archiveAll(candidates, source: source, state: state)
            }
            // The target must still be there before anything local is deleted.
            try checkTargets()
            for (source, walk) in walks {
                try cleanup(source: source, files: walk.files.filter { !open.contains($0.path) }, now: now, state: state)
            }
        } catch let error as ArchiveError {
            fatal = error
        } catch {
            fatal = .targetFailed(job: spec.name, path: spec.target, reason: "\(error)")
        }
        if let fatal {
            state.event("archive.failed", station: nil, fatal.description)
        }
        let backlog = computeBacklog(walks: walks, open: open, now: now)
        let forecast = sampleDisks(now: now)
        let outcome: JobRun.Outcome = fatal != nil ? .failed : (state.failedFiles > 0 ? .partial : .succeeded)
        let error = fatal?.description ?? (state.failedFiles > 0 ? "\(state.failedFiles) file(s) not archived, see events" : nil)
        let run = JobRun(job: spec.name, kind: .archive, startedAt: started, durationSeconds: (clock.now - startedMonotonic).seconds,
                         files: state.copied, bytes: state.copiedBytes, outcome: outcome, error: error)
        logger.info("archive run finished", metadata: ["job": "\(spec.name)", "outcome": "\(outcome.rawValue)",
            "copied": "\(state.copied)", "verified": "\(state.verified)", "deleted": "\(state.deleted)"])
        return ArchiveRunReport(run: run, events: state.events, segments: state.segments, backlog: backlog,
                                diskFullInHours: forecast, deletedFiles: state.deleted, copiedFiles: state.copied)
    }

    // MARK: target presence

    /// Throws `targetNotMarked` unless the archive (and thumbnail) target roots carry the marker.
    public func checkTargets() throws {
        var roots = [TargetTemplate.root(of: spec.target)]
        if let thumbs = spec.thumbnails { roots.append(TargetTemplate.root(of: thumbs.target)) }
        for root in roots where TargetTemplate.findMarker(root: root) == nil {
            throw ArchiveError.targetNotMarked(job: spec.name, root: root)
        }
    }

    func cleanJournaledPartials() throws {
        for path in try ledgerCall({ try ledger.partials(job: spec.name) }) {
            if unlink(path) != 0 && errno != ENOENT {
                logger.warning("cannot remove leftover temporary file", metadata: ["path": "\(path)"])
                continue
            }
            try ledgerCall { try ledger.clearPartial(path) }
        }
    }

    func ledgerCall<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ArchiveError.ledger(job: spec.name, reason: "\(error)") }
    }

    // MARK: selection

    /// Finished files only: for a recorder folder never an open file and not the newest file while it
    /// is younger than `settleSeconds`; elsewhere only files unchanged for `settleSeconds`.
    func finishedFiles(_ files: [FoundFile], source: ArchiveSource, open: Set<String>, now: Date) -> [FoundFile] {
        let settle = Double(spec.settleSeconds)
        let nowT = now.timeIntervalSince1970
        guard source.station != nil else { return files.filter { nowT - $0.mtime >= settle } }
        var newestPerDir: [String: FoundFile] = [:]
        for f in files {
            let dir = f.path.pathParent
            if let n = newestPerDir[dir], n.mtime >= f.mtime { continue }
            newestPerDir[dir] = f
        }
        return files.filter { f in
            if open.contains(f.path) { return false }
            let dir = f.path.pathParent
            if newestPerDir[dir]?.path == f.path && nowT - f.mtime < settle { return false }
            return true
        }
    }

    // MARK: copying

    /// Archives one file; per-file problems become events, target-wide problems are thrown.
    /// Archives `files` oldest first with `configuration.copyWorkers` workers, so reading,
    /// hashing and writing of different files overlap. The first fatal error (target full,
    /// read-only, gone) stops every worker and is rethrown.
    func archiveAll(_ files: [FoundFile], source: ArchiveSource, state: RunState) throws {
        let workers = min(max(1, configuration.copyWorkers), files.count)
        guard workers > 1 else {
            for file in files {
                if cancel.isCancelled { throw ArchiveError.cancelled(job: spec.name) }
                try archiveFile(file, source: source, state: state)
                tracker?.fileDone(bytes: file.size)
            }
            return
        }
        let next = LockedValue(0)
        let failure = LockedValue<ArchiveErrorBox?>(nil)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while failure.get() == nil, !cancel.isCancelled {
                let index = next.update { value -> Int in
                    defer { value += 1 }
                    return value
                }
                guard index < files.count else { return }
                do {
                    try archiveFile(files[index], source: source, state: state)
                    tracker?.fileDone(bytes: files[index].size)
                } catch {
                    failure.update { if $0 == nil { $0 = ArchiveErrorBox(error: error) } }
                    return
                }
            }
        }
        if let failure = failure.get() { throw failure.error }
        if cancel.isCancelled { throw ArchiveError.cancelled(job: spec.name) }
    }

    func archiveFile(_ file: FoundFile, source: ArchiveSource, state: RunState) throws {
        let name = file.path.pathLastName
        let stamp = TargetTemplate.recordingStamp(fileName: name)
        let station = source.station ?? stamp?.station
        let recorded = stamp?.start ?? Date(timeIntervalSince1970: file.mtime)
        let dir = TargetTemplate.expand(spec.target, station: station, date: recorded)
        guard TargetTemplate.isResolved(dir) else {
            state.fileFailed("archive.skipped", station: station, "cannot expand target \(spec.target) for \(file.path): unknown placeholder or no station")
            return
        }
        let target = dir.pathJoining(file.relativePath)
        if let e = try ledgerCall({ try ledger.entry(job: spec.name, sourcePath: file.path) }),
           e.verifiedAt != nil, e.size == file.size, e.mtime == file.mtime, e.targetPath == target,
           FileIO.stat(target)?.size == file.size {
            makeThumbnailIfNeeded(file, station: station, recorded: recorded, state: state)
            return
        }
        do {
            try FileIO.makeDirectories(target.pathParent)
            FileIO.removeLeftoverPartials(for: target)
            var sha = ""
            var copied = false
            if FileIO.stat(target)?.isRegular == true {
                let sourceHash = try FileIO.sha256(of: file.path, cancel: cancel)
                sha = sourceHash
                if try FileIO.sha256(of: target, cancel: cancel) != sourceHash {
                    sha = try copy(file, to: target)
                    copied = true
                }
            } else {
                sha = try copy(file, to: target)
                copied = true
            }
            var entry = LedgerEntry(job: spec.name, sourcePath: file.path, station: station, size: file.size,
                                    mtime: file.mtime, sha256: sha, targetPath: target, verifiedAt: nil)
            guard let after = FileIO.stat(file.path), after.size == file.size, after.mtime == file.mtime else {
                try ledgerCall { try ledger.upsert(entry) }
                state.fileFailed("archive.source-changed", station: station, "\(file.path) changed while it was copied; it is tried again next run")
                return
            }
            guard try FileIO.sha256(of: target, cancel: cancel) == sha else {
                try ledgerCall { try ledger.upsert(entry) }
                state.fileFailed("archive.verify-failed", station: station, "copy \(target) does not match \(file.path) after writing; it is tried again next run")
                return
            }
            entry.verifiedAt = Date()
            try ledgerCall { try ledger.upsert(entry) }
            let segment = source.station.map {
                SegmentRecord(station: $0, name: name, start: recorded, durationSeconds: 0,
                              bytes: file.size, valid: true, archivePath: target, sha256: sha)
            }
            state.recordVerified(copied: copied, bytes: file.size, segment: segment)
            makeThumbnailIfNeeded(file, station: station, recorded: recorded, state: state)
        } catch let e as FileIO.SystemError {
            if e.path == file.path {
                state.fileFailed("archive.unreadable", station: station, "cannot read \(file.path): \(e)")
                return
            }
            throw ArchiveError.fromTarget(e, job: spec.name)
        } catch is CancellationError {
            throw ArchiveError.cancelled(job: spec.name)
        }
    }

    /// temp name (journaled) → copy with hash → fsync → rename → fsync dir. Returns the source hash.
    func copy(_ file: FoundFile, to target: String) throws -> String {
        var journaled: String?
        defer { if let journaled { try? ledger.clearPartial(journaled) } }
        let result = try FileIO.safeCopy(source: file.path, target: target, cancel: cancel) { temp in
            try ledgerCall { try ledger.journalPartial(temp, job: spec.name) }
            journaled = temp
        }
        return result.sha256
    }

    // MARK: status

    func computeBacklog(walks: [(ArchiveSource, FileWalker.Result)], open: Set<String>, now: Date) -> ArchiveBacklog {
        let entries = (try? ledger.localEntries(job: spec.name)) ?? []
        var verified: [String: LedgerEntry] = [:]
        for e in entries where e.verifiedAt != nil { verified[e.sourcePath] = e }
        var backlog = ArchiveBacklog()
        var oldest: Double?
        for (_, walk) in walks {
            for f in walk.files where !open.contains(f.path) {
                if let e = verified[f.path], e.size == f.size, e.mtime == f.mtime { continue }
                if !FileIO.exists(f.path) { continue }  // deleted by this run's cleanup
                backlog.files += 1
                backlog.bytes += f.size
                oldest = min(oldest ?? f.mtime, f.mtime)
            }
        }
        backlog.oldestAgeSeconds = oldest.map { max(0, now.timeIntervalSince1970 - $0) }
        return backlog
    }

    /// Stores a statvfs sample per source and returns the shortest disk-full forecast.
    func sampleDisks(now: Date) -> Double? {
        var best: Double?
        for source in spec.sources {
            guard let space = DiskSpace.of(source.path) else { continue }
            try? ledger.addDiskSample(path: source.path, sample: DiskSample(time: now, freeBytes: space.freeBytes))
            let samples = (try? ledger.diskSamples(path: source.path, since: now.addingTimeInterval(-configuration.forecastWindowSeconds))) ?? []
            if let h = DiskForecast.hoursUntilFull(samples: samples, currentFree: space.freeBytes) {
                best = min(best ?? h, h)
            }
        }
        return best
    }
}

/// Bookkeeping of one run, shared by the copy workers (every access takes the mutex).
final class RunState: Sendable {
    let job: String
    let logger: Logger

    private struct Tally {
        var events: [AgentEvent] = []
        var segments: [SegmentRecord] = []
        var verified = 0
        var copied = 0
        var copiedBytes: UInt64 = 0
        var failedFiles = 0
        var deleted = 0
    }

    private let tally = Mutex(Tally())

    init(job: String, logger: Logger) {
        self.job = job
        self.logger = logger
    }

    var events: [AgentEvent] { tally.withLock { $0.events } }
    var segments: [SegmentRecord] { tally.withLock { $0.segments } }
    var verified: Int { tally.withLock { $0.verified } }
    var copied: Int { tally.withLock { $0.copied } }
    var copiedBytes: UInt64 { tally.withLock { $0.copiedBytes } }
    var failedFiles: Int { tally.withLock { $0.failedFiles } }
    var deleted: Int { tally.withLock { $0.deleted } }

    func event(_ kind: String, station: String?, _ message: String) {
        logger.warning("\(message)", metadata: ["job": "\(job)", "event": "\(kind)"])
        let event = AgentEvent(kind: kind, station: station, job: job, message: message)
        tally.withLock { $0.events.append(event) }
    }

    func fileFailed(_ kind: String, station: String?, _ message: String) {
        tally.withLock { $0.failedFiles += 1 }
        event(kind, station: station, message)
    }

    /// A file is verified on the target; `copied` when this run wrote it.
    func recordVerified(copied: Bool, bytes: UInt64, segment: SegmentRecord?) {
        tally.withLock {
            $0.verified += 1
            if copied {
                $0.copied += 1
                $0.copiedBytes += bytes
            }
            if let segment { $0.segments.append(segment) }
        }
    }

    func recordDeleted() { tally.withLock { $0.deleted += 1 } }
}

/// Carries a worker's error out of `concurrentPerform`.
struct ArchiveErrorBox: @unchecked Sendable {
    let error: any Error
}
