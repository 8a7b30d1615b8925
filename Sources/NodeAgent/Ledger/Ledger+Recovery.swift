import FleetProtocol
import FoundationEssentials
import Glibc

extension Ledger {
    /// What opening the ledger came to: the ledger, and — when the old file was corrupt — where
    /// it was moved aside.
    public struct Opened: Sendable {
        public let ledger: Ledger
        /// The corrupt file's new path (`ledger.sqlite.corrupt-<timestamp>`), nil when it opened as is.
        public let movedAside: String?
    }

    /// Opens the ledger at `path`; a file that is not a usable database is moved aside (with its
    /// `-wal` and `-shm`) and a fresh ledger is started, so recording never waits on the archive's
    /// bookkeeping.
    ///
    /// A fresh ledger knows no file as verified, and cleanup deletes only files the ledger lists
    /// as verified (and re-hashes the target first): every local file is re-copied and
    /// re-verified before it can be deleted. Nothing is deleted on the old ledger's word.
    ///
    /// ```swift
    /// let opened = try Ledger.openRecovering(path: stateDir + "/ledger.sqlite")
    /// if let aside = opened.movedAside { report("ledger.reset", aside) }
    /// ```
    /// - Throws: `LedgerError` when even a fresh ledger cannot be opened (read-only disk, …),
    ///   or when the file could not be moved aside.
    public static func openRecovering(path: String, now: Date = Date()) throws -> Opened {
        do {
            return Opened(ledger: try Ledger(path: path), movedAside: nil)
        } catch let error as LedgerError where error.isCorrupt {
            let aside = path + ".corrupt-" + stamp(now)
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                guard rename(path + suffix, aside + suffix) == 0 else {
                    throw LedgerError(path: path, message: "corrupt (\(error.message)) and cannot be moved aside to \(aside + suffix): \(String(cString: strerror(errno)))")
                }
            }
            return Opened(ledger: try Ledger(path: path), movedAside: aside)
        }
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, computed from the epoch seconds: DateFormatter is not in
    /// FoundationEssentials, and a UTC stamp needs no time-zone data.
    static func stamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let whole = seconds.isFinite && abs(seconds) < 0x1p50 ? Int(seconds) : 0
        let days = whole >= 0 ? whole / 86_400 : -((-whole + 86_399) / 86_400)
        let inDay = whole - days * 86_400
        let civil = LocalTime.civil(days: days)
        return NumberText.zeroPadded(civil.year, width: 4) + NumberText.zeroPadded(civil.month, width: 2)
            + NumberText.zeroPadded(civil.day, width: 2) + "T" + NumberText.zeroPadded(inDay / 3600, width: 2)
            + NumberText.zeroPadded(inDay / 60 % 60, width: 2) + NumberText.zeroPadded(inDay % 60, width: 2) + "Z"
    }
}
