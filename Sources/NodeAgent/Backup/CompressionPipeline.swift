import Crypto
import Dispatch
import FoundationEssentials
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
///
/// SIGPIPE: a compressor that dies early must make the feeder's write fail with EPIPE, not kill
/// the agent. Rather than ignoring SIGPIPE for the whole process (which would change every
/// other thread's and library's behaviour), the feeder — a thread of our own — blocks SIGPIPE
/// in its own signal mask, so the kernel leaves the thread-directed signal pending and `write`
/// returns EPIPE; the feeder then consumes the pending signal before it ends. The compressor
/// itself is spawned by ``ChildProcess`` with an empty mask and default SIGPIPE handling.
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

        guard let name = compressor.first, let exe = ChildProcess.which(name) else {
            throw Failure.compressor("compressor \(compressor.first ?? "?") not found on PATH")
        }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(exe, Array(compressor.dropFirst()), stdin: .pipe, stdout: .pipe,
                                           stderr: .inherit, newProcessGroup: false)
        } catch {
            throw Failure.compressor(error.description)
        }
        guard let inWrite = child.stdin, let outRead = child.stdout else {
            child.closePipes(); child.kill(); _ = child.wait()
            throw Failure.compressor("no pipes to the compressor")
        }
        defer { close(outRead) }

        // Feeder thread: input → hash → compressor stdin.
        let feedResult = LockedValue<(String, UInt64, String?)?>(nil)
        let compressedSoFar = LockedValue<UInt64>(0)
        let feederDone = DispatchSemaphore(value: 0)
        srcOpen = false
        DetachedThread.start(name: "backup-feeder", stackSize: 1 << 20) {
            defer { close(src); close(inWrite); feederDone.signal() }
            let sigpipe = SigpipeGuard()
            defer { sigpipe.end() }
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
                child.kill()
                break
            } catch {
                break
            }
            written += UInt64(n)
            compressedSoFar.set(written)
        }
        if targetError != nil || cancel.isCancelled { child.kill() }
        let exit = child.wait()
        feederDone.wait()
        if let targetError { throw Failure.target(targetError) }
        if cancel.isCancelled { throw Failure.cancelled }
        guard let (rawHash, rawBytes, feedFailure) = feedResult.get() else { throw Failure.compressor("feeder did not finish") }
        if let feedFailure {
            if feedFailure.hasPrefix("read ") { throw Failure.sourceUnreadable(path: input, reason: feedFailure) }
            throw Failure.compressor(feedFailure)
        }
        switch exit {
        case .code(0): break
        case .code(let code): throw Failure.compressor("\(compressor.first ?? "compressor") exited \(code)")
        case .signal(let signal): throw Failure.compressor("\(compressor.first ?? "compressor") killed by signal \(signal)")
        }
        do { try FileIO.fsyncFile(dst, path: tempPath) } catch let e as FileIO.SystemError { throw Failure.target(e) }
        if let progress { progress(BackupProgress(job: job, rawBytes: rawBytes, totalBytes: total, compressedBytes: written)) }
        ok = true
        return Result(rawSHA256: rawHash, rawBytes: rawBytes, compressedSHA256: FileIO.hex(hasher.finalize()), compressedBytes: written)
    }
}

/// Blocks SIGPIPE on the calling thread only (a worker thread of ours, never a pool thread),
/// so a write to a pipe whose reader is gone fails with EPIPE instead of killing the process.
/// `end()` discards a SIGPIPE left pending by such a write and restores the thread's mask.
struct SigpipeGuard {
    private var previous = sigset_t()

    init() {
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &previous)
    }

    func end() {
        var pipeOnly = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        var pending = sigset_t()
        if sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1 {
            var zero = timespec(tv_sec: 0, tv_nsec: 0)
            while sigtimedwait(&pipeOnly, nil, &zero) < 0 && errno == EINTR {}
        }
        var restore = previous
        pthread_sigmask(SIG_SETMASK, &restore, nil)
    }
}
