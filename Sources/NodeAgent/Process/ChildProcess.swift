import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended, as `waitpid` reported it.
public enum ProcessExit: Sendable, Equatable, CustomStringConvertible {
    case code(Int32)
    case signal(Int32)

    public var description: String {
        switch self {
        case .code(let code): return "exited with code \(code)"
        case .signal(let signal): return "killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : signal == SIGTERM ? " (SIGTERM)" : "")"
        }
    }

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .code((status >> 8) & 0xff)
        } else {
            self = .signal(signal)
        }
    }
}

/// `posix_spawn` failed (for example the executable is not installed).
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let executable: String
    public let errno: Int32
    public var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
}

/// The agent's one way to start a process: `posix_spawnp` with explicit standard streams.
///
/// Every child gets a clean signal mask and default dispositions for the signals the agent
/// or its runtime may block or ignore (SIGPIPE among them), so a compressor or ffmpeg behaves
/// as it would from a shell no matter what the agent's threads do with their own signals.
/// By default the child leads its own process group, so a Ctrl-C on the agent's terminal does
/// not reach it behind the agent's back; under systemd the service's cgroup is still killed as
/// a whole on `systemctl stop`. Descriptors other than 0–2 are not inherited.
///
/// The parent ends of requested pipes (`stdin`, `stdout`, `stderr`) belong to the caller:
/// close them (or call ``closePipes()``) when done, and reap the child with ``wait()`` or
/// ``reap()``.
///
/// ```swift
/// let child = try ChildProcess.spawn("ffmpeg", ["-i", url, "out.mkv"], stderr: .pipe)
/// defer { child.closePipes() }
/// // … read child.stderr, and later:
/// child.terminate()
/// let exit = child.wait()   // .code(255) or .signal(SIGTERM)
/// ```
///
/// For a short process run to completion with a time limit see ``run(_:_:environment:captureStdout:timeout:outputLimit:)``.
public struct ChildProcess: Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable, Equatable {
        /// `/dev/null`.
        case null
        /// The agent's own descriptor, shared.
        case inherit
        /// A new pipe; the parent's end is returned in ``ChildProcess/stdin`` etc.
        case pipe
        /// An open descriptor of the caller's (duplicated into the child; the caller keeps and closes it).
        case descriptor(Int32)
    }

    /// The child's process id (also its process group id when spawned with `newProcessGroup`).
    public let pid: pid_t
    /// Write end of the child's stdin when spawned with `stdin: .pipe`.
    public let stdin: Int32?
    /// Read end of the child's stdout when spawned with `stdout: .pipe`.
    public let stdout: Int32?
    /// Read end of the child's stderr when spawned with `stderr: .pipe`.
    public let stderr: Int32?

    /// Signals the child would otherwise inherit as blocked or ignored; reset to default in it.
    static let defaultedSignals = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2]

    /// Starts `executable` (looked up in PATH when it has no slash) with `arguments` (not
    /// including argv[0]). `environment` nil passes the agent's own environment on.
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                             stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .inherit,
                             newProcessGroup: Bool = true) throws(SpawnError) -> ChildProcess {
        // Parent-side pipe ends (closed again on failure) and child-side ends (always closed here).
        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        func fail(_ code: Int32) -> SpawnError {
            for fd in parentEnds { close(fd) }
            return SpawnError(executable: executable, errno: code)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var ends: [Int32: Int32] = [:]  // target fd → parent's pipe end
        for (target, stream) in [(Int32(0), stdin), (Int32(1), stdout), (Int32(2), stderr)] {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .inherit:
                break
            case .descriptor(let fd):
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            case .pipe:
                var fds: [Int32] = [-1, -1]
                guard LibC.pipeCloexec(&fds) == 0 else { throw fail(errno) }
                // fds[0] reads, fds[1] writes: the child reads its stdin and writes the others.
                let (childEnd, parentEnd) = target == 0 ? (fds[0], fds[1]) : (fds[1], fds[0])
                childEnds.append(childEnd)
                parentEnds.append(parentEnd)
                ends[target] = parentEnd
                posix_spawn_file_actions_adddup2(&actions, childEnd, target)
            }
        }
        LibC.closeFrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup { flags |= Int32(POSIX_SPAWN_SETPGROUP) }
        posix_spawnattr_setflags(&attr, Int16(flags))
        posix_spawnattr_setpgroup(&attr, 0)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attr, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in defaultedSignals { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for pointer in envp ?? [] { free(pointer) } }
        var pid: pid_t = 0
        let result: Int32
        if let envp {
            result = posix_spawnp(&pid, executable, &actions, &attr, argv, envp)
        } else {
            result = posix_spawnp(&pid, executable, &actions, &attr, argv, environ)
        }
        guard result == 0 else { throw fail(result) }
        return ChildProcess(pid: pid, stdin: ends[0], stdout: ends[1], stderr: ends[2])
    }

    /// Sends `signal` to the child, or to its whole process group with `group`.
    public func signal(_ signal: Int32, group: Bool = false) {
        _ = Glibc.kill(group ? -pid : pid, signal)
    }

    /// Asks the child to stop (SIGTERM).
    public func terminate() { signal(SIGTERM) }

    /// Kills the child (SIGKILL).
    public func kill() { signal(SIGKILL) }

    /// Non-blocking reap: the exit once the child has ended, nil while it runs.
    public func reap() -> ProcessExit? { ProcessTable.reap(pid) }

    /// Blocks until the child ends and reaps it. Call off the cooperative pool.
    public func wait() -> ProcessExit {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .code(-1) }  // ECHILD: already reaped elsewhere
        }
        return ProcessExit(waitStatus: status)
    }

    /// Closes the parent's ends of every pipe this child was spawned with.
    public func closePipes() {
        for fd in [stdin, stdout, stderr].compactMap({ $0 }) { close(fd) }
    }

    /// Finds an executable by name on PATH (or returns an absolute path unchanged when executable).
    ///
    /// ```swift
    /// guard let xz = ChildProcess.which("xz") else { throw Missing("xz") }
    /// ```
    public static func which(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// glibc functions the Swift Glibc module hides behind _GNU_SOURCE, resolved with dlsym.
enum LibC {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    private static let pipe2: Pipe2? = symbol("pipe2")
    private static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: T.self)
    }

    /// `pipe2(fds, O_CLOEXEC)`, or `pipe` + `FD_CLOEXEC` where pipe2 is missing.
    static func pipeCloexec(_ fds: inout [Int32]) -> Int32 {
        if let pipe2 { return fds.withUnsafeMutableBufferPointer { pipe2($0.baseAddress, O_CLOEXEC) } }
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    /// Closes every descriptor from `lowest` up in the child (glibc 2.34+); otherwise relies
    /// on O_CLOEXEC, which Swift and Foundation set on their own descriptors.
    static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        guard let addCloseFrom else { return }
        _ = withUnsafeMutablePointer(to: &actions) { addCloseFrom($0, lowest) }
    }
}
