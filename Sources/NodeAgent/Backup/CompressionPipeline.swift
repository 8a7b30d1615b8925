import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a streaming backup.
public struct BackupProgress: Sendable, Equatable {
    public var job: String
    public var rawBytes: UInt64
    /// Size of the input when known (regular files and block devices).
    public var totalBytes: UInt64?
    public var compressedBytes: UInt64
}

/// Streams a file or block device through a compressor child process straight into a target file:
/// Swift reads the input in 1 MiB chunks (hashing the raw bytes) and feeds the compressor's stdin
/// from a worker thread, while this thread reads the compressed output, hashes it and writes it to
/// a temporary name in the target folder. No local temporary space is used.
/// Sets SIGPIPE to ignored for the process (a dead compressor must give EPIPE, not kill the agent).
enum CompressionPipeline {
    struct Result: Sendable {
        var rawSHA256: String
        var rawBytes: UInt64
        var compressedSHA256: String
        var compressedBytes: UInt64
    }

    enum Failure: Error {
        case sourceUnreadable(path: String, reason: String)
        case target(FileIO.SystemError)
        case compressor(String)
        case cancelled
    }

    /// Compresses `input` into `tempPath` (created exclusively; left in place on success, removed on error).
    static func run(input: String, compressor: [String], tempPath: String, job: String, cancel: CancellationFlag,
                    progress: (@Sendable (BackupProgress) -> Void)?) throws -> Result {
        signal(SIGPIPE, SIG_IGN)
        let src = open(input, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw Failure.sourceUnreadable(path: input, reason: String(cString: strerror(errno))) }
        var srcOpen = true
        defer { if srcOpen { close(src) } }
        let end = lseek(src, 0, SEEK_END)
        let total: UInt64? = end > 0 ? UInt64(end) : nil
        _ = lseek(src, 0, SEEK_SET)
        // Probe one read so that an unreadable device fails clearly before the compressor starts.
        var probe: UInt8 = 0
        if pread(src, &probe, 1, 0) < 0 {
            throw Failure.sourceUnreadable(path: input, reason: String(cString: strerror(errno)))
        }

        let dst = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw Failure.target(FileIO.SystemError(operation: "create", path: tempPath, code: errno)) }
        var ok = false
        defer {
            close(dst)
            if !ok { unlink(tempPath) }
        }

        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        guard makePipe(&inPipe) else { throw Failure.compressor("pipe: \(String(cString: strerror(errno)))") }
        guard makePipe(&outPipe) else {
            close(inPipe[0]); close(inPipe[1])
            throw Failure.compressor("pipe: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do {
            pid = try spawn(compressor, stdin: inPipe[0], stdout: outPipe[1])
        } catch {
            for fd in inPipe + outPipe { close(fd) }
            throw error
        }
        close(inPipe[0])
        close(outPipe[1])
        let outRead = outPipe[0]
        defer { close(outRead) }

        // Feeder thread: input → hash → compressor stdin.
        let feedResult = LockedValue<(String, UInt64, String?)?>(nil)
        let compressedSoFar = LockedValue<UInt64>(0)
        let feederDone = DispatchSemaphore(value: 0)
        let inWrite = inPipe[1]
        srcOpen = false
        let feeder = Thread {
            defer { close(src); close(inWrite); feederDone.signal() }
            var hasher = SHA256()
            var raw: UInt64 = 0
            var failure: String?
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: FileIO.chunkSize, alignment: 16)
            defer { buffer.deallocate() }
            var lastReport = Date()
            while true {
                if cancel.isCancelled { failure = "cancelled"; break }
                let n = read(src, buffer.baseAddress, FileIO.chunkSize)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "read \(input): \(String(cString: strerror(errno)))"
                    break
                }
                if n == 0 { break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                hasher.update(bufferPointer: chunk)
                do { try FileIO.writeAll(inWrite, chunk, path: "compressor stdin") } catch {
                    failure = "\(error)"
                    break
                }
                raw += UInt64(n)
                if let progress, Date().timeIntervalSince(lastReport) >= 1 {
                    lastReport = Date()
                    progress(BackupProgress(job: job, rawBytes: raw, totalBytes: total, compressedBytes: compressedSoFar.get()))
                }
            }
            feedResult.set((FileIO.hex(hasher.finalize()), raw, failure))
        }
        feeder.stackSize = 1 << 20
        feeder.start()

        // This thread: compressor stdout → hash → target temp file.
        var hasher = SHA256()
        var written: UInt64 = 0
        var targetError: FileIO.SystemError?
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: FileIO.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(outRead, buffer.baseAddress, FileIO.chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(bufferPointer: chunk)
            do { try FileIO.writeAll(dst, chunk, path: tempPath) } catch let e as FileIO.SystemError {
                targetError = e
                kill(pid, SIGKILL)
                break
            } catch {
                break
            }
            written += UInt64(n)
            compressedSoFar.set(written)
        }
        if targetError != nil || cancel.isCancelled { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        feederDone.wait()
        if let targetError { throw Failure.target(targetError) }
        if cancel.isCancelled { throw Failure.cancelled }
        guard let (rawHash, rawBytes, feedFailure) = feedResult.get() else { throw Failure.compressor("feeder did not finish") }
        if let feedFailure {
            if feedFailure.hasPrefix("read ") { throw Failure.sourceUnreadable(path: input, reason: feedFailure) }
            throw Failure.compressor(feedFailure)
        }
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            throw Failure.compressor("\(compressor.first ?? "compressor") \(exited ? "exited \(code)" : "killed by signal \(status & 0x7f)")")
        }
        do { try FileIO.fsyncFile(dst, path: tempPath) } catch let e as FileIO.SystemError { throw Failure.target(e) }
        if let progress { progress(BackupProgress(job: job, rawBytes: rawBytes, totalBytes: total, compressedBytes: written)) }
        ok = true
        return Result(rawSHA256: rawHash, rawBytes: rawBytes, compressedSHA256: FileIO.hex(hasher.finalize()), compressedBytes: written)
    }

    /// pipe() with FD_CLOEXEC on both ends (pipe2 is not exported to Swift).
    static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// posix_spawn with stdin/stdout redirected; stderr is inherited.
    static func spawn(_ command: [String], stdin: Int32, stdout: Int32) throws -> pid_t {
        guard let name = command.first, let exe = Subprocess.which(name) else {
            throw Failure.compressor("compressor \(command.first ?? "?") not found on PATH")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = ([exe] + command.dropFirst()).map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, environ)
        guard rc == 0 else { throw Failure.compressor("cannot start \(exe): \(String(cString: strerror(rc)))") }
        return pid
    }
}
