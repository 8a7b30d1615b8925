@testable import FleetAgent
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real processes (/bin/sh, cat, false): the point of these tests is the spawning itself.
@Suite struct ChildProcessTests {
    /// Runs `body` on a thread of its own (blocking process calls never block the cooperative pool).
    func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    @Test func exitStatusIsReported() async throws {
        let exit = try await offPool { try ChildProcess.spawn("/bin/sh", ["-c", "exit 7"]).wait() }
        #expect(exit == .code(7))
        let ok = try await offPool { try ChildProcess.spawn("true", []).wait() }
        #expect(ok == .code(0))
    }

    @Test func stdoutAndStderrAreCaptured() async throws {
        let done = try await offPool {
            try ChildProcess.run("/bin/sh", ["-c", "printf out; printf err >&2"], captureStdout: true, timeout: .seconds(10))
        }
        #expect(done.exit == .code(0))
        #expect(String(decoding: done.stdout, as: UTF8.self) == "out")
        #expect(done.stderrTail() == "err")
        #expect(!done.timedOut)
    }

    @Test func argumentsArePassedVerbatimAndEnvironmentReplaced() async throws {
        let done = try await offPool {
            try ChildProcess.run("/bin/sh", ["-c", "printf '%s|%s|%s' \"$1\" \"$FLEET_TEST\" \"${HOME:-unset}\"", "sh", "two words; $x"],
                                 environment: ["FLEET_TEST": "yes", "PATH": "/usr/bin:/bin"], captureStdout: true,
                                 timeout: .seconds(10))
        }
        #expect(String(decoding: done.stdout, as: UTF8.self) == "two words; $x|yes|unset")
    }

    @Test func terminateAndKillEndTheChild() async throws {
        let child = try ChildProcess.spawn("sleep", ["30"])
        #expect(child.reap() == nil, "still running")
        child.terminate()
        #expect(try await offPool { child.wait() } == .signal(SIGTERM))

        let stubborn = try ChildProcess.spawn("/bin/sh", ["-c", "trap '' TERM; echo ready; sleep 30"], stdout: .pipe)
        defer { stubborn.closePipes() }
        // Wait until the trap is installed (the child says so), then SIGTERM must not end it.
        let ready = try await offPool { () -> Bool in
            var byte: UInt8 = 0
            return read(stubborn.stdout ?? -1, &byte, 1) == 1
        }
        #expect(ready)
        stubborn.terminate()
        #expect(stubborn.reap() == nil)
        stubborn.kill()
        #expect(try await offPool { stubborn.wait() } == .signal(SIGKILL))
    }

    @Test func stdinPipeFeedsTheChild() async throws {
        let child = try ChildProcess.spawn("cat", [], stdin: .pipe, stdout: .pipe)
        let input = try #require(child.stdin), output = try #require(child.stdout)
        let text = Array("hello through a pipe".utf8)
        #expect(text.withUnsafeBytes { write(input, $0.baseAddress, $0.count) } == text.count)
        close(input)
        let echoed = try await offPool { () -> [UInt8] in
            var all: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                all += buffer[0..<count]
            }
            return all
        }
        close(output)
        #expect(echoed == text)
        #expect(try await offPool { child.wait() } == .code(0))
    }

    @Test func childLeadsItsOwnProcessGroupByDefault() async throws {
        let child = try ChildProcess.spawn("sleep", ["30"])
        #expect(getpgid(child.pid) == child.pid)
        child.signal(SIGKILL, group: true)
        #expect(try await offPool { child.wait() } == .signal(SIGKILL))
        let shared = try ChildProcess.spawn("sleep", ["30"], newProcessGroup: false)
        #expect(getpgid(shared.pid) == getpgid(0))
        shared.kill()
        _ = try await offPool { shared.wait() }
    }

    @Test func childStartsWithDefaultSigpipeAndEmptyMask() async throws {
        // /proc/self/status of the child itself (exec keeps mask and ignored set; reading the shell's
        // own status raced with dash blocking every signal around its fork): no blocked (SigBlk) and no ignored PIPE (bit 13 of SigIgn).
        let done = try await offPool {
            try ChildProcess.run("/bin/sh", ["-c", "exec grep -E '^Sig(Blk|Ign)' /proc/self/status"], captureStdout: true, timeout: .seconds(10))
        }
        let lines = String(decoding: done.stdout, as: UTF8.self).split(separator: "\n")
        let blocked = try #require(lines.first { $0.hasPrefix("SigBlk") }).split(separator: "\t").last.map(String.init)
        let ignored = try #require(lines.first { $0.hasPrefix("SigIgn") }).split(separator: "\t").last.map(String.init)
        #expect(UInt64(blocked ?? "", radix: 16) == 0)
        let ignoredMask = try #require(UInt64(ignored ?? "", radix: 16))
        #expect(ignoredMask & (1 << (UInt64(SIGPIPE) - 1)) == 0)
    }

    @Test func missingExecutableIsASpawnError() {
        #expect(throws: SpawnError.self) { try ChildProcess.spawn("/nonexistent/stationfleet-tool", []) }
        #expect(ChildProcess.which("sh") != nil)
        #expect(ChildProcess.which("stationfleet-no-such-tool") == nil)
    }

    @Test func runKillsAChildThatOutlivesItsTimeout() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let done = try await offPool { try ChildProcess.run("sleep", ["30"], timeout: .milliseconds(300)) }
        #expect(done.timedOut)
        #expect(done.exit == .signal(SIGKILL))
        #expect(clock.now - start < .seconds(10))
    }

    @Test func runStopsAtTheOutputLimit() async throws {
        let done = try await offPool {
            try ChildProcess.run("/bin/sh", ["-c", "yes"], captureStdout: true, timeout: .seconds(10), outputLimit: 64 * 1024)
        }
        #expect(done.timedOut)
        #expect(done.stdout.count >= 64 * 1024)
    }
}
