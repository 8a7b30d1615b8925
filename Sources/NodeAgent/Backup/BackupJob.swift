import FleetProtocol
import FoundationEssentials
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Why a backup run failed. One line with job and path.
public enum BackupError: Error, CustomStringConvertible, Sendable, Equatable {
    case sourceUnreadable(job: String, path: String, reason: String)
    case sqlite(job: String, path: String, reason: String)
    case compressor(job: String, reason: String)
    case unsupportedCompression(job: String, name: String)
    case target(ArchiveError)
    case verifyFailed(job: String, path: String)

    public var description: String {
        switch self {
        case let .sourceUnreadable(job, path, reason): return "job \(job): cannot read backup source \(path): \(reason)"
        case let .sqlite(job, path, reason): return "job \(job): SQLite backup of \(path) failed: \(reason)"
        case let .compressor(job, reason): return "job \(job): compression failed: \(reason)"
        case let .unsupportedCompression(job, name): return "job \(job): unsupported compression \(name) (use zstd or gzip)"
        case let .target(error): return error.description
        case let .verifyFailed(job, path): return "job \(job): backup \(path) does not match its hash after writing"
        }
    }
}

/// Result of one backup run.
public struct BackupRunReport: Sendable {
    public var run: JobRun
    public var events: [AgentEvent]
    /// Final path of the compressed backup on success.
    public var artifactPath: String?
    /// SHA-256 of the compressed file (also in the `.sha256` sidecar).
    public var compressedSHA256: String?
    /// SHA-256 of the uncompressed data (also in the `.raw.sha256` sidecar).
    public var rawSHA256: String?
    public var rawBytes: UInt64
    public var pruned: [String]
}

/// A SQLite (online backup API) or image (streamed device) backup to a marked target folder,
/// written as `NAME-NODE-YYYYMMDDTHHMMSS.{db,img}.{zst,gz}` plus `.sha256` sidecar, with `keep` pruning.
/// `run` is blocking: call it off the cooperative pool.
public struct BackupJob: Sendable {
    public let spec: BackupJobSpec
    public let node: String
    /// Local folder for the SQLite snapshot before compression (next to the agent state).
    public let tempDir: String
    public let logger: Logger
    public let cancel: CancellationFlag
    public let progress: (@Sendable (BackupProgress) -> Void)?
    /// Where the run's progress goes for the agent's heartbeats (phases `snapshot`, `compress`, `verify`).
    public let tracker: JobProgressTracker?

    public init(spec: BackupJobSpec, node: String, tempDir: String, logger: Logger = Logger(label: "stationfleet.backup"),
                cancel: CancellationFlag = CancellationFlag(), progress: (@Sendable (BackupProgress) -> Void)? = nil,
                tracker: JobProgressTracker? = nil) {
        self.spec = spec
        self.node = node
        self.tempDir = tempDir
        self.logger = logger
        self.cancel = cancel
        self.progress = progress
        self.tracker = tracker
    }

    /// The folder backups go to (`{node}` expanded).
    public var targetDir: String { TargetTemplate.expand(spec.target, station: nil, date: Date(), node: node) }

    var compression: (command: [String], ext: String)? {
        switch (spec.compress ?? "zstd").lowercased() {
        case "zstd": return (["zstd", "-q", "-c", "-"], "zst")
        case "gzip", "gz": return (["gzip", "-c"], "gz")
        default: return nil
        }
    }

    /// File-name prefix shared by all backups of this job on this node.
    public var filePrefix: String { "\(spec.name)-\(node)-" }
    var fileSuffix: String {
        let ext = spec.kind == .sqlite ? "zst" : (compression?.ext ?? "zst")
        return (spec.kind == .sqlite ? ".db." : ".img.") + ext
    }

    public func run(now: Date = Date()) -> BackupRunReport {
        let started = Date()
        let clock = ContinuousClock(), startedMonotonic = clock.now  // a duration, not two wall times
        var report = BackupRunReport(run: JobRun(job: spec.name, kind: .backup, startedAt: started, durationSeconds: 0, files: 0,
                                                 bytes: 0, outcome: .failed), events: [], rawBytes: 0, pruned: [])
        do {
            try perform(now: now, report: &report)
            report.run.outcome = .succeeded
        } catch {
            let message = (error as? BackupError)?.description ?? "job \(spec.name): \(error)"
            report.run.error = message
            report.events.append(AgentEvent(kind: "backup.failed", job: spec.name, message: message))
            logger.error("\(message)", metadata: ["job": "\(spec.name)"])
        }
        report.run.durationSeconds = (clock.now - startedMonotonic).seconds
        return report
    }

    func perform(now: Date, report: inout BackupRunReport) throws {
        let root = TargetTemplate.root(of: TargetTemplate.expand(spec.target, station: nil, date: now, node: node))
        guard TargetTemplate.findMarker(root: root) != nil else { throw BackupError.target(.targetNotMarked(job: spec.name, root: root)) }
        guard let compression = spec.kind == .sqlite ? (["zstd", "-q", "-c", "-"], "zst") : compression else {
            throw BackupError.unsupportedCompression(job: spec.name, name: spec.compress ?? "")
        }
        let dir = targetDir
        try targetCall { try FileIO.makeDirectories(dir) }
        removeLeftovers(in: dir)
        let stamp = Self.stamp(now)
        let finalPath = dir.pathJoining(filePrefix + stamp + fileSuffix)
        let tempPath = FileIO.partialPath(for: finalPath)

        var input = spec.sourcePath
        var snapshot: String?
        defer { if let snapshot { Self.removeDatabaseFiles(snapshot) } }
        if spec.kind == .sqlite {
            let path = try sqliteSnapshot(stamp: stamp)
            snapshot = path
            input = path
        }
        let result: CompressionPipeline.Result
        tracker?.begin(phase: "compress", bytesTotal: FileIO.stat(input)?.isRegular == true ? FileIO.stat(input)?.size : nil,
                       filesTotal: 1)
        let logProgress = progress ?? defaultProgress()
        let tracked: @Sendable (BackupProgress) -> Void = { [tracker] p in
            tracker?.setBytes(p.rawBytes, total: p.totalBytes)
            logProgress(p)
        }
        do {
            result = try CompressionPipeline.run(input: input, compressor: compression.0, tempPath: tempPath, job: spec.name,
                                                 cancel: cancel, progress: tracked)
        } catch let failure as CompressionPipeline.Failure {
            switch failure {
            case let .sourceUnreadable(path, reason): throw BackupError.sourceUnreadable(job: spec.name, path: path, reason: reason)
            case let .target(e): throw BackupError.target(ArchiveError.fromTarget(e, job: spec.name))
            case let .compressor(reason): throw BackupError.compressor(job: spec.name, reason: reason)
            case .cancelled: throw BackupError.target(.cancelled(job: spec.name))
            }
        }
        var committed = false
        defer { if !committed { unlink(tempPath) } }
        try targetCall { try FileIO.commit(temp: tempPath, final: finalPath) }
        committed = true
        tracker?.begin(phase: "verify", bytesTotal: result.compressedBytes)
        let check = try targetCall { try FileIO.sha256(of: finalPath, cancel: cancel) }
        tracker?.setBytes(result.compressedBytes)
        guard check == result.compressedSHA256 else {
            unlink(finalPath)
            throw BackupError.verifyFailed(job: spec.name, path: finalPath)
        }
        let name = finalPath.pathLastName
        let rawName = name.pathRemovingExtension
        try targetCall { try Self.writeSidecar(finalPath + ".sha256", "\(result.compressedSHA256)  \(name)\n") }
        try targetCall { try Self.writeSidecar(finalPath + ".raw.sha256", "\(result.rawSHA256)  \(rawName)\n") }
        report.artifactPath = finalPath
        report.compressedSHA256 = result.compressedSHA256
        report.rawSHA256 = result.rawSHA256
        report.rawBytes = result.rawBytes
        report.run.files = 1
        report.run.bytes = result.compressedBytes
        tracker?.fileDone(bytes: 0)
        logger.info("backup written", metadata: ["job": "\(spec.name)", "path": "\(finalPath)",
            "rawBytes": "\(result.rawBytes)", "compressedBytes": "\(result.compressedBytes)"])
        if let keep = spec.keep { report.pruned = prune(dir: dir, keep: keep) }
    }

    func targetCall<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as FileIO.SystemError {
            throw BackupError.target(ArchiveError.fromTarget(e, job: spec.name))
        }
    }

    /// Consistent snapshot via SQLite's online backup API into `tempDir`.
    func sqliteSnapshot(stamp: String) throws -> String {
        let source = spec.sourcePath
        guard FileIO.stat(source)?.isRegular == true, access(source, R_OK) == 0 else {
            throw BackupError.sourceUnreadable(job: spec.name, path: source, reason: FileIO.exists(source) ? "not a readable file" : "does not exist")
        }
        do {
            try FileIO.makeDirectories(tempDir)
        } catch {
            throw BackupError.sqlite(job: spec.name, path: tempDir, reason: "cannot create temp dir: \(error)")
        }
        let temp = tempDir.pathJoining(".\(filePrefix)\(stamp).db.partial-\(UUID().uuidString)")
        do {
            let src = try SQLiteDatabase(path: source, readonly: true, busyTimeoutSeconds: 30)
            defer { src.close() }
            // The page count is the snapshot's size up front; SQLite copies it in one step
            // (stepping would restart under a writer), so this phase shows its total, then done.
            let pages: UInt64? = {
                guard let count = (try? src.rows("PRAGMA page_count"))?.first?["page_count"].int64,
                      let size = (try? src.rows("PRAGMA page_size"))?.first?["page_size"].int64 else { return nil }
                return UInt64(max(0, count)) * UInt64(max(0, size))
            }()
            tracker?.begin(phase: "snapshot", bytesTotal: pages, filesTotal: 1)
            let dst = try SQLiteDatabase(path: temp)
            defer { dst.close() }
            try src.backup(to: dst)
            if let total = pages { tracker?.setBytes(total) }
            let check = try dst.rows("PRAGMA quick_check").first?["quick_check"].string
            guard check == "ok" else { throw BackupError.sqlite(job: spec.name, path: source, reason: "snapshot quick_check: \(check ?? "?")") }
            return temp
        } catch let error as BackupError {
            Self.removeDatabaseFiles(temp)
            throw error
        } catch {
            Self.removeDatabaseFiles(temp)
            throw BackupError.sqlite(job: spec.name, path: source, reason: "\(error)")
        }
    }

    func defaultProgress() -> @Sendable (BackupProgress) -> Void {
        let last = LockedValue(Date.distantPast)
        let logger = self.logger
        return { p in
            let due = last.update { t -> Bool in
                guard Date().timeIntervalSince(t) >= 30 else { return false }
                t = Date()
                return true
            }
            guard due else { return }
            let pct = p.totalBytes.map { " (" + NumberText.fixed(Double(p.rawBytes) / Double(max($0, 1)) * 100, decimals: 0) + " %)" } ?? ""
            logger.info("backup progress: \(p.rawBytes / 1_048_576) MiB read\(pct), \(p.compressedBytes / 1_048_576) MiB written",
                        metadata: ["job": "\(p.job)"])
        }
    }

    /// Removes this job's leftover temporary files in the target folder.
    func removeLeftovers(in dir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix("." + filePrefix) && name.contains(".partial-") {
            unlink(dir.pathJoining(name))
        }
    }

    /// Keeps the newest `keep` backups of this job (names sort by time), deleting older ones and their sidecars.
    public func prune(dir: String, keep: Int) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        let backups = names.filter { $0.hasPrefix(filePrefix) && $0.hasSuffix(fileSuffix) }.sorted()
        guard backups.count > max(keep, 1) else { return [] }
        let old = backups.prefix(backups.count - max(keep, 1))
        for name in old {
            let path = dir.pathJoining(name)
            for p in [path, path + ".sha256", path + ".raw.sha256"] { unlink(p) }
        }
        return Array(old)
    }

    /// `YYYYMMDDTHHMMSS` in the node's local time (`LocalTime`), like the segment names beside it.
    static func stamp(_ date: Date) -> String {
        LocalTime.parts(of: date).compactStamp
    }

    static func writeSidecar(_ path: String, _ text: String) throws {
        let temp = FileIO.partialPath(for: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.SystemError(operation: "create", path: temp, code: errno) }
        var ok = false
        defer { if !ok { unlink(temp) } }
        do {
            defer { close(fd) }
            try Array(text.utf8).withUnsafeBytes { try FileIO.writeAll(fd, $0, path: temp) }
            try FileIO.fsyncFile(fd, path: temp)
        }
        try FileIO.commit(temp: temp, final: path)
        ok = true
    }

    static func removeDatabaseFiles(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }
}
