import CSQLiteShim
import Synchronization

/// A value bound to, or read from, an SQLite statement.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public var int64: Int64? {
        switch self {
        case .integer(let value): return value
        case .real(let value): return Int64(exactly: value.rounded(.towardZero))
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    public var string: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// One result row, by column name.
public struct SQLiteRow: Sendable {
    var values: [String: SQLiteValue]
    public subscript(_ column: String) -> SQLiteValue { values[column] ?? .null }
}

/// A failed SQLite call: the primary result code and SQLite's message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    public var description: String { message }
    /// The file is not a database, or is corrupt.
    public var isCorrupt: Bool { code == Int32(FLEET_SQLITE_NOTADB) || code == Int32(FLEET_SQLITE_CORRUPT) }
}

/// One connection to an SQLite database through the system's libsqlite3 (the agent links
/// neither GRDB nor Foundation for its two small databases: the archive ledger and backup
/// snapshots). Calls are serialized by a mutex; each is short, and callers are blocking
/// worker threads or actors that accept that.
///
/// ```swift
/// let db = try SQLiteDatabase(path: "/var/lib/stationfleet/ledger.sqlite")
/// try db.execute("INSERT INTO partialFile (path, job, createdAt) VALUES (?, ?, ?)", [.text(p), .text(job), .real(t)])
/// let rows = try db.rows("SELECT path FROM partialFile WHERE job = ?", [.text(job)])
/// ```
public final class SQLiteDatabase: @unchecked Sendable {
    public let path: String
    /// The connection handle; only touched while `lock` is held.
    private let handle: UnsafeMutableRawPointer
    /// Whether the handle is closed; the mutex also serializes every call on the handle.
    private let lock = Mutex(false)

    /// Opens `path` (created unless `readonly`), waiting up to `busyTimeoutSeconds` for locks.
    public init(path: String, readonly: Bool = false, busyTimeoutSeconds: Int = 10) throws {
        self.path = path
        var raw: UnsafeMutableRawPointer?
        let rc = fleet_sqlite_open(path, readonly ? 1 : 0, &raw)
        guard rc == FLEET_SQLITE_OK, let raw else {
            let message = raw.map { String(cString: fleet_sqlite_errmsg($0)) } ?? String(cString: fleet_sqlite_errstr(rc))
            if let raw { _ = fleet_sqlite_close(raw) }
            throw SQLiteError(code: rc, message: message)
        }
        handle = raw
        _ = fleet_sqlite_busy_timeout(raw, Int32(clamping: busyTimeoutSeconds * 1000))
    }

    deinit { close() }

    /// Closes the connection; later calls fail. Safe to call twice.
    public func close() {
        lock.withLock { closed in
            guard !closed else { return }
            closed = true
            _ = fleet_sqlite_close(handle)
        }
    }

    /// Runs statements without parameters or results (schema, pragmas).
    public func executeScript(_ sql: String) throws {
        try locked { db in
            let rc = fleet_sqlite_exec(db, sql)
            guard rc == FLEET_SQLITE_OK else { throw Self.error(db, rc) }
        }
    }

    /// Runs one statement with positional parameters.
    public func execute(_ sql: String, _ arguments: [SQLiteValue] = []) throws {
        try locked { db in _ = try Self.run(db, sql, arguments, collect: false) }
    }

    /// Runs several statements in one transaction (all or nothing).
    public func transaction(_ statements: [(String, [SQLiteValue])]) throws {
        try locked { db in
            try Self.check(db, fleet_sqlite_exec(db, "BEGIN IMMEDIATE"))
            do {
                for (sql, arguments) in statements { _ = try Self.run(db, sql, arguments, collect: false) }
                try Self.check(db, fleet_sqlite_exec(db, "COMMIT"))
            } catch {
                _ = fleet_sqlite_exec(db, "ROLLBACK")
                throw error
            }
        }
    }

    /// The rows of one query.
    public func rows(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [SQLiteRow] {
        try locked { db in try Self.run(db, sql, arguments, collect: true) }
    }

    /// Copies this whole database into `destination` with SQLite's online backup API.
    public func backup(to destination: SQLiteDatabase) throws {
        try locked { source in
            try destination.locked { target in
                let rc = fleet_sqlite_backup(target, source)
                guard rc == FLEET_SQLITE_OK else { throw Self.error(target, rc) }
            }
        }
    }

    private func locked<T>(_ body: (UnsafeMutableRawPointer) throws -> T) throws -> T {
        try lock.withLock { closed in
            guard !closed else { throw SQLiteError(code: 21, message: "\(path): database is closed") }
            return try body(handle)
        }
    }

    private static func check(_ db: UnsafeMutableRawPointer, _ rc: Int32) throws {
        guard rc == FLEET_SQLITE_OK else { throw error(db, rc) }
    }

    private static func error(_ db: UnsafeMutableRawPointer, _ rc: Int32) -> SQLiteError {
        let code = fleet_sqlite_errcode(db)
        return SQLiteError(code: code == FLEET_SQLITE_OK ? rc & 0xff : code, message: String(cString: fleet_sqlite_errmsg(db)))
    }

    private static func run(_ db: UnsafeMutableRawPointer, _ sql: String, _ arguments: [SQLiteValue],
                            collect: Bool) throws -> [SQLiteRow] {
        var raw: UnsafeMutableRawPointer?
        let prepared = fleet_sqlite_prepare(db, sql, &raw)
        guard prepared == FLEET_SQLITE_OK, let statement = raw else { throw error(db, prepared) }
        defer { _ = fleet_sqlite_finalize(statement) }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = fleet_sqlite_bind_null(statement, index)
            case .integer(let v): rc = fleet_sqlite_bind_int64(statement, index, v)
            case .real(let v): rc = fleet_sqlite_bind_double(statement, index, v)
            case .text(let v):
                var text = v
                rc = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) {
                        fleet_sqlite_bind_text(statement, index, $0.baseAddress, Int32(clamping: $0.count))
                    }
                }
            }
            try check(db, rc)
        }
        var rows: [SQLiteRow] = []
        while true {
            let rc = fleet_sqlite_step(statement)
            if rc == FLEET_SQLITE_DONE { return rows }
            guard rc == FLEET_SQLITE_ROW else { throw error(db, rc) }
            guard collect else { continue }
            var values: [String: SQLiteValue] = [:]
            for column in 0..<fleet_sqlite_column_count(statement) {
                let name = String(cString: fleet_sqlite_column_name(statement, column))
                values[name] = Self.value(statement, column)
            }
            rows.append(SQLiteRow(values: values))
        }
    }

    private static func value(_ statement: UnsafeMutableRawPointer, _ column: Int32) -> SQLiteValue {
        switch fleet_sqlite_column_type(statement, column) {
        case Int32(FLEET_SQLITE_INTEGER): return .integer(fleet_sqlite_column_int64(statement, column))
        case Int32(FLEET_SQLITE_FLOAT): return .real(fleet_sqlite_column_double(statement, column))
        case Int32(FLEET_SQLITE_NULL): return .null
        default:
            var length: Int32 = 0
            guard let text = fleet_sqlite_column_text(statement, column, &length) else { return .null }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: Int(max(0, length))), as: UTF8.self))
        }
    }
}
