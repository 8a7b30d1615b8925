import FleetProtocol
import Crypto
import CFileSync
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Low-level file operations with explicit errno handling: streaming hashes,
/// fsync of files and directories, and the temp-name → fsync → rename → fsync-dir sequence.
public enum FileIO {
    /// Chunk size used for every streaming read and write (1 MiB).
    public static let chunkSize = 1 << 20

    /// An errno-carrying failure of one system call on one path.
    public struct SystemError: Error, CustomStringConvertible, Sendable {
        public var operation: String
        public var path: String
        public var code: Int32
        public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
        public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }
        public var isReadOnly: Bool { code == EROFS || code == EACCES || code == EPERM }
    }

    /// Status of a path (follows no symlinks).
    public struct FileStat: Sendable, Equatable {
        public var size: UInt64
        public var mtime: Double
        public var isRegular: Bool
        public var isDirectory: Bool
        public var device: UInt64
    }

    public static func stat(_ path: String) -> FileStat? {
        var st = Glibc.stat()
        guard lstat(path, &st) == 0 else { return nil }
        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        let type = st.st_mode & S_IFMT
        return FileStat(size: UInt64(st.st_size), mtime: mtime, isRegular: type == S_IFREG,
                        isDirectory: type == S_IFDIR, device: UInt64(st.st_dev))
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// SHA-256 of a whole file as lowercase hex, read in 1 MiB chunks.
    public static func sha256(of path: String, cancel: CancellationFlag? = nil) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            if let cancel, cancel.isCancelled { throw CancellationError() }
            let n = read(fd, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(operation: "read", path: path, code: errno)
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hex(hasher.finalize())
    }

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.lowercaseHex
    }

    /// Writes all bytes, retrying on EINTR and short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(operation: "write", path: path, code: errno)
            }
            offset += n
        }
    }

    public static func fsyncFile(_ fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw SystemError(operation: "fsync", path: path, code: errno) }
    }

    /// fsync a directory so that a rename in it is durable.
    public static func fsyncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError(operation: "fsync", path: path, code: errno) }
    }

    /// `mkdir -p` with errno reporting.
    public static func makeDirectories(_ path: String) throws {
        if let st = stat(path), st.isDirectory { return }
        let parent = path.pathParent
        if !parent.isEmpty, parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw SystemError(operation: "mkdir", path: path, code: errno)
        }
    }

    /// Temporary name used while a file is written: `.NAME.partial-<uuid>` in the same folder.
    public static func partialPath(for finalPath: String, suffix: String = "") -> String {
        let dir = finalPath.pathParent
        let name = finalPath.pathLastName
        return dir.pathJoining(".\(name).partial-\(UUID().uuidString)\(suffix)")
    }

    /// True for a temporary name produced by `partialPath(for:)`.
    public static func isPartialName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".partial-")
    }

    /// Removes leftover `.NAME.partial-*` files for one final path.
    public static func removeLeftoverPartials(for finalPath: String) {
        let dir = finalPath.pathParent
        let prefix = ".\(finalPath.pathLastName).partial-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(prefix) {
            unlink(dir.pathJoining(name))
        }
    }

    /// Renames `temp` to `final`, then fsyncs the folder.
    public static func commit(temp: String, final: String) throws {
        guard rename(temp, final) == 0 else {
            throw SystemError(operation: "rename", path: final, code: errno)
        }
        try fsyncDirectory(final.pathParent)
    }

    /// Copies `source` to `target` via a temporary name, hashing while copying.
    /// Returns the SHA-256 of the bytes read from the source. On error the temporary file is removed.
    /// `onTempCreated` runs before the temporary file exists (so a caller can journal its name).
    public static func safeCopy(source: String, target: String, cancel: CancellationFlag?,
                                onTempPath: (String) throws -> Void = { _ in }) throws -> (sha256: String, bytes: UInt64) {
        let src = open(source, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw SystemError(operation: "open", path: source, code: errno) }
        defer { close(src) }
        let temp = partialPath(for: target)
        try onTempPath(temp)
        let dst = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw SystemError(operation: "create", path: temp, code: errno) }
        var committed = false
        var dstOpen = true
        defer {
            if dstOpen { close(dst) }
            if !committed { unlink(temp) }
        }
        var hasher = SHA256()
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            if let cancel, cancel.isCancelled { throw CancellationError() }
            let n = read(src, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(operation: "read", path: source, code: errno)
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(bufferPointer: chunk)
            try writeAll(dst, chunk, path: temp)
            // Start writeback of what was just written, so the fsync at the end has little
            // left to wait for and the disk writes while the next chunk is read.
            _ = fleet_start_writeback(dst, Int64(total), Int64(n))
            total += UInt64(n)
        }
        try fsyncFile(dst, path: temp)
        // Drop the copy's now-clean pages from the page cache, so that the verifying re-read
        // reads what reached the disk (or the NAS) rather than what is still in memory.
        _ = posix_fadvise(dst, 0, 0, POSIX_FADV_DONTNEED)
        dstOpen = false
        guard close(dst) == 0 else { throw SystemError(operation: "close", path: temp, code: errno) }
        try commit(temp: temp, final: target)
        committed = true
        return (hex(hasher.finalize()), total)
    }
}

/// A thread-safe cancellation flag checked between chunks and files by blocking work.
public final class CancellationFlag: Sendable {
    private let state = LockedValue(false)
    public init() {}
    public var isCancelled: Bool { state.get() }
    public func cancel() { state.set(true) }
}
