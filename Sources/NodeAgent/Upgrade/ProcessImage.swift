import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Replacing this process's image with another binary (`execve`), keeping the pid.
///
/// ```swift
/// let errno = ProcessImage.exec(path: build, arguments: ProcessImage.arguments(),
///                               environment: ["STATIONFLEET_AGENT_EXEC": "trial"], keeping: stderrFDs)
/// // Only returns when execve failed.
/// ```
public enum ProcessImage {
    /// The environment variable that tells `fleet-agent run` it was exec'd on purpose (skip the launcher).
    public static let execVariable = "STATIONFLEET_AGENT_EXEC"

    /// This process's arguments after argv[0], as the kernel has them (`/proc/self/cmdline`).
    public static func arguments() -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/self/cmdline") else {
            return Array(CommandLine.arguments.dropFirst())
        }
        let parts = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        // The buffer ends with a NUL, which leaves one empty part at the end.
        let trimmed = parts.last == "" ? Array(parts.dropLast()) : parts
        return Array(trimmed.dropFirst())
    }

    /// `execve(path, [path] + arguments, environ + environment)`. Before it, every descriptor
    /// above 2 except `keeping` is marked close-on-exec, and signal mask and dispositions are
    /// reset, so the new image starts as from a shell. Returns only on failure, with the errno.
    public static func exec(path: String, arguments: [String], environment: [String: String],
                            keeping: Set<Int32> = []) -> Int32 {
        closeOnExec(except: keeping)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        // Signals blocked or ignored by this process's runtime go back to default for the new
        // image, and are restored when the exec fails.
        var savedMask = sigset_t(), empty = sigset_t()
        sigemptyset(&empty)
        sigprocmask(SIG_SETMASK, &empty, &savedMask)
        var saved: [(Int32, sigaction)] = []
        for sig in ChildProcess.defaultedSignals {
            var old = sigaction(), fresh = sigaction()
            fresh.__sigaction_handler.sa_handler = SIG_DFL
            sigemptyset(&fresh.sa_mask)
            if sigaction(sig, &fresh, &old) == 0 { saved.append((sig, old)) }
        }
        _ = Glibc.execve(path, argv, envp)
        let code = errno
        for (sig, old) in saved {
            var old = old
            sigaction(sig, &old, nil)
        }
        sigprocmask(SIG_SETMASK, &savedMask, nil)
        return code
    }

    /// Marks every open descriptor above 2, except `keeping`, close-on-exec.
    static func closeOnExec(except keeping: Set<Int32>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for name in names {
            guard let fd = Int32(name), fd > 2, !keeping.contains(fd) else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
        for fd in keeping {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) }
        }
    }
}
