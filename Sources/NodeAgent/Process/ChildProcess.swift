import Foundation
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

/// A process started with `posix_spawnp`: stdin and stdout on /dev/null, stderr to a pipe.
///
/// The child runs in its own process group (so a Ctrl-C on the agent's terminal does not
/// reach ffmpeg behind the supervisor's back), with a clean signal mask and default
/// dispositions for the signals the supervisor uses. Under systemd the agent's cgroup is
/// still killed as a whole on `systemctl stop`, so no child outlives the service.
struct SpawnedProcess: Sendable {
    let pid: pid_t
    /// Read end of the child's stderr pipe, owned by the caller (close it when done).
    let stderrFD: Int32

    /// Spawns `executable` (looked up in PATH when it has no slash) with `arguments`
    /// (not including argv[0]).
    static func spawn(executable: String, arguments: [String], captureStdout: Bool = false) throws(SpawnError) -> (SpawnedProcess, stdoutFD: Int32?) {
        var errPipe: [Int32] = [-1, -1]
        guard LibC.pipeCloexec(&errPipe) == 0 else { throw SpawnError(executable: executable, errno: errno) }
        var outPipe: [Int32] = [-1, -1]
        if captureStdout {
            guard LibC.pipeCloexec(&outPipe) == 0 else {
                close(errPipe[0]); close(errPipe[1])
                throw SpawnError(executable: executable, errno: errno)
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if captureStdout {
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        LibC.closeFrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        let flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        posix_spawnattr_setflags(&attr, Int16(flags))
        posix_spawnattr_setpgroup(&attr, 0)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attr, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, executable, &actions, &attr, argv, environ)
        close(errPipe[1])
        if captureStdout { close(outPipe[1]) }
        guard result == 0 else {
            close(errPipe[0])
            if captureStdout { close(outPipe[0]) }
            throw SpawnError(executable: executable, errno: result)
        }
        return (SpawnedProcess(pid: pid, stderrFD: errPipe[0]), captureStdout ? outPipe[0] : nil)
    }
}

/// `posix_spawnp` failed (for example the executable is not installed).
struct SpawnError: Error, CustomStringConvertible, Sendable {
    let executable: String
    let errno: Int32
    var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
}

/// Process helpers that read /proc; Linux only.
enum ProcessTable {
    /// Non-blocking reap of our own child. Nil while it still runs (or when it is not our child).
    static func reap(_ pid: pid_t) -> ProcessExit? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        return ProcessExit(waitStatus: status)
    }

    /// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat),
    /// nil when there is no such live process (zombies count as gone).
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name: state is field 3, starttime field 22.
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 19, rest[0] != "Z", rest[0] != "X" else { return nil }
        return UInt64(rest[19])
    }

    /// The command line of `pid` as its arguments.
    static func commandLine(of pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every live process whose command line runs ffmpeg and writes into `stationDir`
    /// with this station's segment pattern.
    static func ffmpegProcesses(writingTo outputPattern: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid() else { continue }
            if isRecorder(pid: pid, outputPattern: outputPattern) { found.append(pid) }
        }
        return found
    }

    /// True when `pid` is a live ffmpeg writing `outputPattern`.
    static func isRecorder(pid: pid_t, outputPattern: String) -> Bool {
        let arguments = commandLine(of: pid)
        guard let first = arguments.first, first.contains("ffmpeg") else { return false }
        return arguments.contains(outputPattern) && startTime(of: pid) != nil
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
