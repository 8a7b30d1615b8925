import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real child process whose stdout and stderr go to files, so a test can read them
/// at any time without pipes filling up. Killed with SIGKILL when released.
final class ManagedProcess: @unchecked Sendable {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String
    let label: String

    init(label: String, executable: String, arguments: [String], logDir: String,
         environment: [String: String] = [:]) throws {
        self.label = label
        stdoutPath = (logDir as NSString).appendingPathComponent("\(label).out")
        stderrPath = (logDir as NSString).appendingPathComponent("\(label).err")
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var output: String { "--- \(label) stdout\n\(stdout)--- \(label) stderr\n\(stderr)" }

    /// Sends `signal` and waits (bounded) for the process to exit. Returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        let exited = await waitUntil(timeout: timeout) { !self.process.isRunning }
        if !exited {
            kill(process.processIdentifier, SIGKILL)
            await waitUntil(timeout: .seconds(5)) { !self.process.isRunning }
            return nil
        }
        return process.terminationStatus
    }

    /// Waits for a line on stdout containing `marker` and returns the first such line.
    func waitForLine(containing marker: String, timeout: Duration = .seconds(20)) async throws -> String {
        var found: String?
        await waitUntil(timeout: timeout) {
            found = self.stdout.split(separator: "\n").first { $0.contains(marker) }.map(String.init)
            return found != nil || !self.process.isRunning
        }
        guard let found else { throw HarnessError.notReady(label, output: output) }
        return found
    }
}

/// Runs a command to completion with a deadline and returns its exit code and output.
struct CommandOutcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

func runCommand(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                timeout: Duration = .seconds(60)) async throws -> CommandOutcome {
    let dir = try makeScratchDir("cmd")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let child = try ManagedProcess(label: "cmd", executable: executable, arguments: arguments, logDir: dir,
                                   environment: environment)
    let finished = await waitUntil(timeout: timeout, poll: .milliseconds(20)) { !child.isRunning }
    if !finished { await child.stop(signal: SIGKILL) }
    return CommandOutcome(status: finished ? child.process.terminationStatus : -1, stdout: child.stdout, stderr: child.stderr)
}
