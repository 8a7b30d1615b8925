import Foundation
import GRDB

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

    init(row: Row) {
        job = row["job"]
        sourcePath = row["sourcePath"]
        station = row["station"]
        size = UInt64(max(0, row["size"] as Int64))
        mtime = row["mtime"]
        sha256 = row["sha256"]
        targetPath = row["targetPath"]
        verifiedAt = (row["verifiedAt"] as Double?).map { Date(timeIntervalSince1970: $0) }
        deletedAt = (row["deletedAt"] as Double?).map { Date(timeIntervalSince1970: $0) }
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

/// The archive ledger in the agent's SQLite database (GRDB `DatabasePool`, WAL):
/// archived files, journaled temporary names, job state and disk samples.
public final class Ledger: Sendable {
    public let path: String
    private let pool: DatabasePool

    /// Opens (and migrates) the ledger at `path`, creating its folder when needed.
    public init(path: String) throws {
        self.path = path
        do {
            try FileIO.makeDirectories((path as NSString).deletingLastPathComponent)
            var config = Configuration()
            config.busyMode = .timeout(10)
            // WAL with synchronous=NORMAL: a commit survives a crash of the agent, and a power
            // cut loses at most the last commits, never consistency. That is safe here: a lost
            // "verified" mark only makes the next run verify the copy again, and cleanup
            // re-hashes the target copy before it deletes anything.
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            let code = (error as? DatabaseError)?.resultCode
            throw LedgerError(path: path, message: "\(error)",
                              isCorrupt: code == .SQLITE_NOTADB || code == .SQLITE_CORRUPT)
        }
    }

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("archive-v1") { db in
            try db.execute(sql: """
                CREATE TABLE archivedFile (
                    job TEXT NOT NULL, sourcePath TEXT NOT NULL, station TEXT,
                    size INTEGER NOT NULL, mtime REAL NOT NULL, sha256 TEXT NOT NULL,
                    targetPath TEXT NOT NULL, verifiedAt REAL, deletedAt REAL,
                    PRIMARY KEY (job, sourcePath));
                CREATE TABLE partialFile (path TEXT PRIMARY KEY NOT NULL, job TEXT NOT NULL, createdAt REAL NOT NULL);
                CREATE TABLE jobState (
                    kind TEXT NOT NULL, name TEXT NOT NULL, lastRunAt REAL, lastSuccessAt REAL,
                    lastFailureAt REAL, lastError TEXT, PRIMARY KEY (kind, name));
                CREATE TABLE diskSample (path TEXT NOT NULL, time REAL NOT NULL, freeBytes INTEGER NOT NULL);
                CREATE INDEX diskSampleByPath ON diskSample(path, time);
                """)
        }
        return m
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw LedgerError(path: path, message: "\(error)") }
    }

    // MARK: archived files

    public func entry(job: String, sourcePath: String) throws -> LedgerEntry? {
        try wrap {
            try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM archivedFile WHERE job = ? AND sourcePath = ?",
                                 arguments: [job, sourcePath]).map(LedgerEntry.init(row:))
            }
        }
    }

    /// Entries of a job whose local file has not been deleted.
    public func localEntries(job: String) throws -> [LedgerEntry] {
        try wrap {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM archivedFile WHERE job = ? AND deletedAt IS NULL",
                                 arguments: [job]).map(LedgerEntry.init(row:))
            }
        }
    }

    public func allEntries(job: String) throws -> [LedgerEntry] {
        try wrap {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM archivedFile WHERE job = ?", arguments: [job]).map(LedgerEntry.init(row:))
            }
        }
    }

    public func upsert(_ e: LedgerEntry) throws {
        try wrap {
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO archivedFile (job, sourcePath, station, size, mtime, sha256, targetPath, verifiedAt, deletedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(job, sourcePath) DO UPDATE SET station = excluded.station, size = excluded.size,
                      mtime = excluded.mtime, sha256 = excluded.sha256, targetPath = excluded.targetPath,
                      verifiedAt = excluded.verifiedAt, deletedAt = excluded.deletedAt
                    """, arguments: [e.job, e.sourcePath, e.station, Int64(e.size), e.mtime, e.sha256, e.targetPath,
                                     e.verifiedAt?.timeIntervalSince1970, e.deletedAt?.timeIntervalSince1970])
            }
        }
    }

    public func markUnverified(job: String, sourcePath: String) throws {
        try wrap {
            try pool.write { db in
                try db.execute(sql: "UPDATE archivedFile SET verifiedAt = NULL WHERE job = ? AND sourcePath = ?",
                               arguments: [job, sourcePath])
            }
        }
    }

    public func markDeleted(job: String, sourcePath: String, at: Date) throws {
        try wrap {
            try pool.write { db in
                try db.execute(sql: "UPDATE archivedFile SET deletedAt = ? WHERE job = ? AND sourcePath = ?",
                               arguments: [at.timeIntervalSince1970, job, sourcePath])
            }
        }
    }

    // MARK: temporary-name journal

    /// Records a temporary file name before it is created, so a crash leaves a trace to clean up.
    public func journalPartial(_ path: String, job: String) throws {
        try wrap {
            try pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO partialFile (path, job, createdAt) VALUES (?, ?, ?)",
                               arguments: [path, job, Date().timeIntervalSince1970])
            }
        }
    }

    public func clearPartial(_ path: String) throws {
        try wrap { try pool.write { db in try db.execute(sql: "DELETE FROM partialFile WHERE path = ?", arguments: [path]) } }
    }

    public func partials(job: String) throws -> [String] {
        try wrap { try pool.read { db in try String.fetchAll(db, sql: "SELECT path FROM partialFile WHERE job = ?", arguments: [job]) } }
    }

    // MARK: job state

    public func jobState(kind: String, name: String) throws -> LedgerJobState? {
        try wrap {
            try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM jobState WHERE kind = ? AND name = ?", arguments: [kind, name]).map { row in
                    func date(_ col: String) -> Date? { (row[col] as Double?).map { Date(timeIntervalSince1970: $0) } }
                    return LedgerJobState(kind: kind, name: name, lastRunAt: date("lastRunAt"), lastSuccessAt: date("lastSuccessAt"),
                                          lastFailureAt: date("lastFailureAt"), lastError: row["lastError"])
                }
            }
        }
    }

    /// Records that a run started (the schedule's reference point).
    public func recordRunStarted(kind: String, name: String, at: Date) throws {
        try wrap {
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO jobState (kind, name, lastRunAt) VALUES (?, ?, ?)
                    ON CONFLICT(kind, name) DO UPDATE SET lastRunAt = excluded.lastRunAt
                    """, arguments: [kind, name, at.timeIntervalSince1970])
            }
        }
    }

    /// Records the outcome of a run.
    public func recordRunFinished(kind: String, name: String, at: Date, succeeded: Bool, error: String?) throws {
        try wrap {
            try pool.write { db in
                let t = at.timeIntervalSince1970
                try db.execute(sql: "INSERT OR IGNORE INTO jobState (kind, name, lastRunAt) VALUES (?, ?, ?)", arguments: [kind, name, t])
                if succeeded {
                    try db.execute(sql: "UPDATE jobState SET lastSuccessAt = ?, lastError = NULL WHERE kind = ? AND name = ?",
                                   arguments: [t, kind, name])
                } else {
                    try db.execute(sql: "UPDATE jobState SET lastFailureAt = ?, lastError = ? WHERE kind = ? AND name = ?",
                                   arguments: [t, error, kind, name])
                }
            }
        }
    }

    // MARK: disk samples

    /// Stores a free-space sample and drops samples older than `keep` seconds.
    public func addDiskSample(path: String, sample: DiskSample, keep: TimeInterval = 48 * 3600) throws {
        try wrap {
            try pool.write { db in
                try db.execute(sql: "INSERT INTO diskSample (path, time, freeBytes) VALUES (?, ?, ?)",
                               arguments: [path, sample.time.timeIntervalSince1970, Int64(sample.freeBytes)])
                try db.execute(sql: "DELETE FROM diskSample WHERE path = ? AND time < ?",
                               arguments: [path, sample.time.timeIntervalSince1970 - keep])
            }
        }
    }

    public func diskSamples(path: String, since: Date) throws -> [DiskSample] {
        try wrap {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT time, freeBytes FROM diskSample WHERE path = ? AND time >= ? ORDER BY time",
                                 arguments: [path, since.timeIntervalSince1970]).map { row in
                    DiskSample(time: Date(timeIntervalSince1970: row["time"]), freeBytes: UInt64(max(0, row["freeBytes"] as Int64)))
                }
            }
        }
    }
}
