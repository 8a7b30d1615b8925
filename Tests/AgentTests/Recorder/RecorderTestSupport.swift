import Foundation
import FleetProtocol
@testable import FleetAgent
#if canImport(Glibc)
import Glibc
#endif

struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes.
@discardableResult
func waitUntil(_ what: String, timeout: Duration, _ condition: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return await condition()
}

/// A unique temporary folder, removed by `remove()`.
struct RecorderScratch {
    let path: String
    init(_ label: String) throws {
        path = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("recorder-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The GStreamer RTSP camera simulator from tools/camera-sim.py.
final class CameraSim: Sendable {
    let pid: pid_t
    let port: Int

    static var scriptPath: String {
        // Tests/RecorderTests/TestSupport.swift → package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("tools/camera-sim.py").path
    }

    init(mounts: [String], user: String? = nil, passwordFile: String? = nil, logPath: String) throws {
        var script = "exec /usr/bin/python3 '\(CameraSim.scriptPath)' --port 0"
        for mount in mounts { script += " --mount \(mount)" }
        if let user, let passwordFile { script += " --user \(user) --password-file '\(passwordFile)'" }
        script += " 2>>'\(logPath)'"
        let process = try ChildProcess.spawn("/bin/sh", ["-c", script], stdout: .pipe, stderr: .null)
        pid = process.pid
        guard let fd = process.stdout else { throw TestTimeout(what: "simulator stdout") }
        defer { close(fd) }
        // Read "ready PORT" with a 10 s deadline.
        var text = ""
        let deadline = ContinuousClock.now + .seconds(10)
        var buffer = [UInt8](repeating: 0, count: 256)
        while !text.contains("\n"), ContinuousClock.now < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            text += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, words[0] == "ready", let port = Int(words[1]) else {
            kill(process.pid, SIGKILL)
            var status: Int32 = 0
            waitpid(process.pid, &status, 0)
            throw TestTimeout(what: "camera simulator ready line (got \(text.debugDescription))")
        }
        self.port = port
    }

    func pause() { kill(pid, SIGSTOP) }
    func resume() { kill(pid, SIGCONT) }

    /// Resumes (a stopped process ignores SIGTERM until continued), terminates and reaps it.
    func stop() {
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(3)
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }
}

/// Kills and reaps any ffmpeg still writing under `dir` (the last line of defence of a test).
func killStrayRecorders(under dir: String) -> [pid_t] {
    var killed: [pid_t] = []
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries {
        guard let pid = pid_t(entry), pid != getpid() else { continue }
        let arguments = ProcessTable.commandLine(of: pid)
        guard let first = arguments.first, first.contains("ffmpeg"), arguments.contains(where: { $0.hasPrefix(dir) }),
              ProcessTable.startTime(of: pid) != nil else { continue }
        kill(pid, SIGKILL)
        killed.append(pid)
    }
    for pid in killed {
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline, waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
    }
    return killed
}

/// Live ffmpeg processes recording `station` into `outputDir`.
func liveRecorders(station: String, outputDir: String) -> [pid_t] {
    let pattern = ((outputDir as NSString).appendingPathComponent(station) as NSString)
        .appendingPathComponent("\(station)_%Y%m%dT%H%M%S.mkv")
    return ProcessTable.ffmpegProcesses(writingTo: pattern)
}

/// Reads every log file in `dir` (including rotations).
func allLogText(in dir: String) -> String {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.sorted().compactMap { try? String(contentsOfFile: (dir as NSString).appendingPathComponent($0), encoding: .utf8) }
        .joined(separator: "\n")
}

