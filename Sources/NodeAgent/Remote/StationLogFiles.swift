import FleetProtocol
import FoundationEssentials
import Glibc

/// Reads a station's recorder log (`logs/recorder-STATION.log` and its rotations `.1`, `.2`),
/// which holds ffmpeg's stderr and the supervisor's lines, already redacted when written.
///
/// ```swift
/// var files = StationLogFiles(path: "/var/lib/stationfleet/agent/logs/recorder-ROST1.log")
/// let lines = files.tail(200, since: 3600)    // the last 200 lines of the last hour
/// let newer = files.readNew()                // lines written since (for a follow)
/// ```
struct StationLogFiles {
    let path: String
    /// Rotated files read for a tail (`path.1` … `path.(rotations)`).
    var rotations = 2
    /// Most bytes read from one file for a tail.
    static let maxReadBytes = 2 << 20
    private var inode: UInt64 = 0
    private var offset: UInt64 = 0
    private var partial: [UInt8] = []

    init(path: String) {
        self.path = path
    }

    /// The last `count` lines, oldest first, optionally only those of the last `since` seconds;
    /// positions a later ``readNew()`` after them.
    mutating func tail(_ count: Int, since seconds: Int?, now: Date = Date()) -> [String] {
        var lines: [String] = []
        let files = [path] + (1...max(1, rotations)).map { "\(path).\($0)" }
        for file in files {
            let (text, _) = Self.read(file, from: nil)
            lines = Self.split(text) + lines
            if lines.count >= count { break }
        }
        if let seconds { lines = LogLines.since(lines, cutoff: now.addingTimeInterval(-Double(seconds))) }
        let (current, size) = Self.stat(path)
        inode = current
        offset = size
        partial = []
        return Array(lines.suffix(max(0, count)))
    }

    /// Complete lines written since the last call (or the tail). A rotated file (new inode,
    /// or a file smaller than what was read) is read from its start.
    mutating func readNew() -> [String] {
        let (current, size) = Self.stat(path)
        if current != inode || size < offset {
            inode = current
            offset = 0
            partial = []
        }
        guard size > offset else { return [] }
        let (bytes, end) = Self.read(path, from: offset)
        offset = end
        var all = partial + bytes
        guard let last = all.lastIndex(of: 10) else {
            partial = all.count > RemoteOutputLimits.maxLineBytes ? [] : all
            return []
        }
        partial = Array(all[(last + 1)...])
        all.removeSubrange((last + 1)...)
        return Self.split(all)
    }

    static func split(_ bytes: [UInt8]) -> [String] {
        bytes.split(separator: 10, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Inode and size; (0, 0) when the file is missing.
    static func stat(_ path: String) -> (UInt64, UInt64) {
        var info = Glibc.stat()
        guard fstatat(AT_FDCWD, path, &info, 0) == 0 else { return (0, 0) }
        return (UInt64(info.st_ino), UInt64(max(info.st_size, 0)))
    }

    /// Bytes from `offset` (nil: the last ``maxReadBytes``) to the end, and the end offset.
    static func read(_ path: String, from offset: UInt64?) -> ([UInt8], UInt64) {
        // open/lseek/read rather than FileHandle, which FoundationEssentials does not have.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return ([], 0) }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        let size = end > 0 ? UInt64(end) : 0
        var start = offset ?? (size > UInt64(maxReadBytes) ? size - UInt64(maxReadBytes) : 0)
        if size - min(size, start) > UInt64(maxReadBytes) { start = size - UInt64(maxReadBytes) }
        guard let position = off_t(exactly: start), lseek(fd, position, SEEK_SET) == position else { return ([], size) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        let readCount = UInt64(bytes.count)
        if offset == nil, start > 0, let newline = bytes.firstIndex(of: 10) {
            bytes.removeSubrange(...newline)  // a cut first line
        }
        return (bytes, start + readCount)
    }
}
