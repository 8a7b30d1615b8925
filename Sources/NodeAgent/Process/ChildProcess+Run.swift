import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// What a process run to completion left behind.
    public struct Completion: Sendable, Equatable {
        /// How it ended (after a SIGKILL of ours when `timedOut`).
        public var exit: ProcessExit
        /// Its stdout (empty unless captured).
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// True when it was killed for running past the timeout or writing past the output limit.
        public var timedOut: Bool

        /// The last `limit` characters of stderr, trimmed.
        public func stderrTail(_ limit: Int = 2000) -> String {
            String(decoding: stderr.suffix(limit), as: UTF8.self).trimmedWhitespaceAndNewlines
        }
    }

    /// Runs a short process to completion: stdin on /dev/null, stderr (and stdout when
    /// `captureStdout`) collected; SIGKILLed after `timeout` or once its output exceeds
    /// `outputLimit` bytes. Blocking: call it from a thread of its own, never the cooperative pool.
    ///
    /// ```swift
    /// let done = try ChildProcess.run("ffprobe", ["-of", "json", file], captureStdout: true, timeout: .seconds(15))
    /// guard !done.timedOut, done.exit == .code(0) else { throw ProbeFailed(done.stderrTail()) }
    /// let json = done.stdout
    /// ```
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           captureStdout: Bool = false, timeout: Duration,
                           outputLimit: Int = 1 << 20) throws(SpawnError) -> Completion {
        let child = try spawn(executable, arguments, environment: environment,
                              stdin: .null, stdout: captureStdout ? .pipe : .null, stderr: .pipe)
        defer { child.closePipes() }
        let deadline = ContinuousClock.now + timeout
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var open = [child.stdout, child.stderr].compactMap { $0 }
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        while !open.isEmpty {
            if ContinuousClock.now >= deadline {
                timedOut = true
                break
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready <= 0 { continue }
            for entry in fds where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if entry.fd == child.stdout { stdout.append(contentsOf: buffer[0..<count]) } else { stderr.append(contentsOf: buffer[0..<count]) }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == entry.fd }
                }
            }
            if stdout.count + stderr.count > outputLimit {
                timedOut = true
                break
            }
        }
        if timedOut { child.kill() }
        return Completion(exit: child.wait(), stdout: stdout, stderr: stderr, timedOut: timedOut)
    }
}
