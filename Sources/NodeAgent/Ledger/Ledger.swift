import FleetProtocol
import FoundationEssentials

/// One archived file as the ledger knows it.
public struct LedgerEntry: Sendable, Equatable {
    public var job: String
    public var sourcePath: String
    public var station: String?
    public var size: UInt64
    public var mtime: Double
    public var sha256: String
    public var targetPath: String
    /// Set when the target copy was re-read and its hash matched.
    public var verifiedAt: Date?
    /// Set when the local file was deleted after verification.
    public var deletedAt: Date?

    public init(job: String, sourcePath: String, station: String?, size: UInt64, mtime: Double, sha256: String,
                targetPath: String, verifiedAt: Date?, deletedAt: Date? = nil) {
        self.job = job
        self.sourcePath = sourcePath
        self.station = station
        self.size = size
        self.mtime = mtime
        self.sha256 = sha256
        self.targetPath = targetPath
        self.verifiedAt = verifiedAt
        self.deletedAt = deletedAt
    }

    init(row: SQLiteRow) {
        job = row["job"].string ?? ""
        sourcePath = row["sourcePath"].string ?? ""
        station = row["station"].string
        size = UInt64(max(0, row["size"].int64 ?? 0))
        mtime = row["mtime"].double ?? 0
        sha256 = row["sha256"].string ?? ""
        targetPath = row["targetPath"].string ?? ""
        verifiedAt = row["verifiedAt"].double.map { Date(timeIntervalSince1970: $0) }
        deletedAt = row["deletedAt"].double.map { Date(timeIntervalSince1970: $0) }
    }
}

/// The persisted state of one job, so schedules and status survive restarts.
public struct LedgerJobState: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var lastRunAt: Date?
    public var lastSuccessAt: Date?
    public var lastFailureAt: Date?
    public var lastError: String?

    public init(kind: String, name: String, lastRunAt: Date? = nil, lastSuccessAt: Date? = nil,
                lastFailureAt: Date? = nil, lastError: String? = nil) {
        self.kind = kind
        self.name = name
        self.lastRunAt = lastRunAt
        self.lastSuccessAt = lastSuccessAt
        self.lastFailureAt = lastFailureAt
        self.lastError = lastError
    }
}

/// Failure to open or use the ledger database.
public struct LedgerError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    /// The file is not a usable SQLite database (not a database, or corrupt).
    public var isCorrupt = false
    public var description: String { "ledger \(path): \(message)" }
}

/// The archive ledger in the agent's SQLite database (WAL, one serialized connection):
/// archived files, journaled temporary names, job state and disk samples.
public final class Ledger: Sendable {
    public let path: String
    private let db: SQLiteDatabase

    /// Opens (and migrates) the ledger at `path`, creating its folder when needed.
    public init(path: String) throws {
        self.path = path
        do {
            try FileIO.makeDirectories(path.pathParent)
            db = try SQLiteDatabase(path: path, busyTimeoutSeconds: 10)
            // WAL with synchronous=NORMAL: a commit survives a crash of the agent, and a power
            // cut loses at most the last commits, never consistency. That is safe here: a lost
            // "verified" mark only makes the next run verify the copy again, and cleanup
            // re-hashes the target copy before it deletes anything.
            try db.executeScript("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            try db.executeScript(Self.schema)
        } catch let error as SQLiteError {
            throw LedgerError(path: path, message: error.message, isCorrupt: error.isCorrupt)
        } catch {
            throw LedgerError(path: path, message: "\(error)")
        }
    }

    /// The schema (version 1). `IF NOT EXISTS`: a ledger written by an earlier agent (which
    /// used GRDB and recorded this as migration `archive-v1`) opens as it is.
    private static let schema = """
        BEGIN;
        CREATE TABLE IF NOT EXISTS archivedFile (
            job TEXT NOT NULL, sourcePath TEXT NOT NULL, station TEXT,
            size INTEGER NOT NULL, mtime REAL NOT NULL, sha256 TEXT NOT NULL,
            targetPath TEXT NOT NULL, verifiedAt REAL, deletedAt REAL,
            PRIMARY KEY (job, sourcePath));
        CREATE TABLE IF NOT EXISTS partialFile (path TEXT PRIMARY KEY NOT NULL, job TEXT NOT NULL, createdAt REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS jobState (
            kind TEXT NOT NULL, name TEXT NOT NULL, lastRunAt REAL, lastSuccessAt REAL,
            lastFailureAt REAL, lastError TEXT, PRIMARY KEY (kind, name));
        CREATE TABLE IF NOT EXISTS diskSample (path TEXT NOT NULL, time REAL NOT NULL, freeBytes INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS diskSampleByPath ON diskSample(path, time);
        PRAGMA user_version = 1;
        COMMIT;
        """

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as SQLiteError {
            throw LedgerError(path: path, message: error.message, isCorrupt: error.isCorrupt)
        } catch { throw LedgerError(path: path, message: "\(error)") }
    }

    private static func date(_ value: Date?) -> SQLiteValue { value.map { .real($0.timeIntervalSince1970) } ?? .null }
    private static func text(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }

    // MARK: archived files

    public func entry(job: String, sourcePath: String) throws -> LedgerEntry? {
        try wrap {
            try db.rows("SELECT * FROM archivedFile WHERE job = ? AND sourcePath = ?", [.text(job), .text(sourcePath)])
                .first.map(LedgerEntry.init(row:))
        }
    }

    /// Entries of a job whose local file has not been deleted.
    public func localEntries(job: String) throws -> [LedgerEntry] {
        try wrap {
            try db.rows("SELECT * FROM archivedFile WHERE job = ? AND deletedAt IS NULL", [.text(job)]).map(LedgerEntry.init(row:))
        }
    }

    public func allEntries(job: String) throws -> [LedgerEntry] {
        try wrap { try db.rows("SELECT * FROM archivedFile WHERE job = ?", [.text(job)]).map(LedgerEntry.init(row:)) }
    }

    public func upsert(_ e: LedgerEntry) throws {
        try wrap {
            try db.execute("""
                INSERT INTO archivedFile (job, sourcePath, station, size, mtime, sha256, targetPath, verifiedAt, deletedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(job, sourcePath) DO UPDATE SET station = excluded.station, size = excluded.size,
                  mtime = excluded.mtime, sha256 = excluded.sha256, targetPath = excluded.targetPath,
                  verifiedAt = excluded.verifiedAt, deletedAt = excluded.deletedAt
                """, [.text(e.job), .text(e.sourcePath), Self.text(e.station), .integer(Int64(clamping: e.size)), .real(e.mtime),
                      .text(e.sha256), .text(e.targetPath), Self.date(e.verifiedAt), Self.date(e.deletedAt)])
        }
    }

    public func markUnverified(job: String, sourcePath: String) throws {
        try wrap {
            try db.execute("UPDATE archivedFile SET verifiedAt = NULL WHERE job = ? AND sourcePath = ?", [.text(job), .text(sourcePath)])
        }
    }

    public func markDeleted(job: String, sourcePath: String, at: Date) throws {
        try wrap {
            try db.execute("UPDATE archivedFile SET deletedAt = ? WHERE job = ? AND sourcePath = ?",
                           [.real(at.timeIntervalSince1970), .text(job), .text(sourcePath)])
        }
    }

    // MARK: temporary-name journal

    /// Records a temporary file name before it is created, so a crash leaves a trace to clean up.
    public func journalPartial(_ path: String, job: String) throws {
        try wrap {
            try db.execute("INSERT OR REPLACE INTO partialFile (path, job, createdAt) VALUES (?, ?, ?)",
                           [.text(path), .text(job), .real(Date().timeIntervalSince1970)])
        }
    }

    public func clearPartial(_ path: String) throws {
        try wrap { try db.execute("DELETE FROM partialFile WHERE path = ?", [.text(path)]) }
    }

    public func partials(job: String) throws -> [String] {
        try wrap { try db.rows("SELECT path FROM partialFile WHERE job = ?", [.text(job)]).compactMap { $0["path"].string } }
    }

    // MARK: job state

    public func jobState(kind: String, name: String) throws -> LedgerJobState? {
        try wrap {
            try db.rows("SELECT * FROM jobState WHERE kind = ? AND name = ?", [.text(kind), .text(name)]).first.map { row in
                func date(_ col: String) -> Date? { row[col].double.map { Date(timeIntervalSince1970: $0) } }
                return LedgerJobState(kind: kind, name: name, lastRunAt: date("lastRunAt"), lastSuccessAt: date("lastSuccessAt"),
                                      lastFailureAt: date("lastFailureAt"), lastError: row["lastError"].string)
            }
        }
    }

    /// Records that a run started (the schedule's reference point).
    public func recordRunStarted(kind: String, name: String, at: Date) throws {
        try wrap {
            try db.execute("""
                INSERT INTO jobState (kind, name, lastRunAt) VALUES (?, ?, ?)
                ON CONFLICT(kind, name) DO UPDATE SET lastRunAt = excluded.lastRunAt
                """, [.text(kind), .text(name), .real(at.timeIntervalSince1970)])
        }
    }

    /// Records the outcome of a run.
    public func recordRunFinished(kind: String, name: String, at: Date, succeeded: Bool, error: String?) throws {
        try wrap {
            let t = SQLiteValue.real(at.timeIntervalSince1970)
            let outcome: (String, [SQLiteValue]) = succeeded
                ? ("UPDATE jobState SET lastSuccessAt = ?, lastError = NULL WHERE kind = ? AND name = ?", [t, .text(kind), .text(name)])
                : ("UPDATE jobState SET lastFailureAt = ?, lastError = ? WHERE kind = ? AND name = ?",
                   [t, Self.text(error), .text(kind), .text(name)])
            try db.transaction([
                ("INSERT OR IGNORE INTO jobState (kind, name, lastRunAt) VALUES (?, ?, ?)", [.text(kind), .text(name), t]),
                outcome,
            ])
        }
    }

    // MARK: disk samples

    /// Stores a free-space sample and drops samples older than `keep` seconds.
    public func addDiskSample(path: String, sample: DiskSample, keep: TimeInterval = 48 * 3600) throws {
        try wrap {
            let time = sample.time.timeIntervalSince1970
            try db.transaction([
                ("INSERT INTO diskSample (path, time, freeBytes) VALUES (?, ?, ?)",
                 [.text(path), .real(time), .integer(Int64(clamping: sample.freeBytes))]),
                ("DELETE FROM diskSample WHERE path = ? AND time < ?", [.text(path), .real(time - keep)]),
            ])
        }
    }

    public func diskSamples(path: String, since: Date) throws -> [DiskSample] {
        try wrap {
            try db.rows("SELECT time, freeBytes FROM diskSample WHERE path = ? AND time >= ? ORDER BY time",
                        [.text(path), .real(since.timeIntervalSince1970)]).map { row in
                DiskSample(time: Date(timeIntervalSince1970: row["time"].double ?? 0),
                           freeBytes: UInt64(max(0, row["freeBytes"].int64 ?? 0)))
            }
        }
    }
}
