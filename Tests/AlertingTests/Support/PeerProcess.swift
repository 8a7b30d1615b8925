import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child program started with `posix_spawn` in its own process group, stdout and stderr
/// appended to one log file. `stop()` (and deinit) signal the whole group and reap the child.
/// Foundation's `Process.waitUntilExit` hangs in test trait initialisers here, so peers use this.
///
/// ```swift
/// let peer = try PeerProcess(executable: "/usr/bin/python3", arguments: ["-V"], logFile: dir + "/py.log")
/// let status = await peer.waitForExit(timeout: .seconds(5))
/// ```
final class PeerProcess: @unchecked Sendable {
    let pid: pid_t
    let logFile: String
    let label: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    init(executable: String, arguments: [String], logFile: String, environment: [String: String]? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw PeerError.missing("\(executable) is not installed or not executable")
        }
        self.logFile = logFile
        self.label = (executable as NSString).lastPathComponent
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw PeerError.failed("posix_spawn \(executable): \(String(cString: strerror(result)))") }
        pid = child
    }

    deinit {
        if status() == nil {
            kill(-pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
    }

    /// The exit status once the child has exited (reaps it), else nil.
    func status() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        exitStatus = code
        return code
    }

    var isRunning: Bool { status() == nil }
    var output: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Waits (bounded) for the child to exit; nil when it is still running at the deadline.
    func waitForExit(timeout: Duration) async -> Int32? {
        await waitUntil(timeout: timeout, poll: .milliseconds(20)) { self.status() != nil }
        return status()
    }

    /// SIGTERM to the process group, then SIGKILL after `grace`; always reaps.
    func stop(grace: Duration = .seconds(5)) async {
        guard isRunning else { return }
        kill(-pid, SIGTERM)
        if await waitForExit(timeout: grace) == nil {
            kill(-pid, SIGKILL)
            _ = await waitForExit(timeout: .seconds(5))
        }
    }

    /// Runs a command to completion (bounded) and returns its exit status and output.
    static func run(_ executable: String, _ arguments: [String], in dir: String,
                    timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let log = (dir as NSString).appendingPathComponent(".run-\(UUID().uuidString.prefix(8)).log")
        let child = try PeerProcess(executable: executable, arguments: arguments, logFile: log)
        guard let status = await child.waitForExit(timeout: timeout) else {
            await child.stop()
            throw PeerError.failed("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        let output = child.output
        try? FileManager.default.removeItem(atPath: log)
        return (status, output)
    }
}

enum PeerError: Error, CustomStringConvertible {
    case missing(String)
    case failed(String)
    case notReady(String, output: String)

    var description: String {
        switch self {
        case .missing(let detail), .failed(let detail): detail
        case .notReady(let what, let output): "\(what) did not become ready; its output:\n\(output)"
        }
    }
}
