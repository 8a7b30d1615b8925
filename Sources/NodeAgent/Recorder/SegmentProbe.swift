import Foundation
import FleetProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A closed segment waiting for ffprobe.
struct PendingProbe: Sendable {
    let station: String
    let name: String
    let path: String
}

/// What ffprobe says about one closed segment.
struct ProbeResult: Sendable, Equatable {
    var hasVideo: Bool
    var duration: Double?
    /// Why the segment is not usable; nil when valid.
    var problem: String?

    var valid: Bool { problem == nil }
}

/// Runs `ffprobe -v error -show_entries format=duration:stream=codec_type -of json FILE`
/// on a dedicated thread (never on the cooperative pool), killing it after `timeout`.
enum SegmentProbe {
    private struct Output: Decodable {
        struct Stream: Decodable { var codec_type: String? }
        struct Format: Decodable { var duration: String? }
        var streams: [Stream]?
        var format: Format?
    }

    static func probe(ffprobePath: String, file: String, timeout: Double = 15) async -> ProbeResult {
        await withCheckedContinuation { (continuation: CheckedContinuation<ProbeResult, Never>) in
            let thread = Thread {
                continuation.resume(returning: probeBlocking(ffprobePath: ffprobePath, file: file, timeout: timeout))
            }
            thread.name = "ffprobe"
            thread.start()
        }
    }

    static func probeBlocking(ffprobePath: String, file: String, timeout: Double) -> ProbeResult {
        let arguments = ["-v", "error", "-show_entries", "format=duration:stream=codec_type", "-of", "json", file]
        let spawned: (SpawnedProcess, stdoutFD: Int32?)
        do {
            spawned = try SpawnedProcess.spawn(executable: ffprobePath, arguments: arguments, captureStdout: true)
        } catch {
            return ProbeResult(hasVideo: false, duration: nil, problem: error.description)
        }
        let process = spawned.0
        guard let outFD = spawned.stdoutFD else {
            close(process.stderrFD)
            return ProbeResult(hasVideo: false, duration: nil, problem: "ffprobe: no output pipe")
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var open: [Int32] = [outFD, process.stderrFD]
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        while !open.isEmpty {
            if ContinuousClock.now >= deadline {
                timedOut = true
                kill(process.pid, SIGKILL)
                break
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready <= 0 { continue }
            for entry in fds where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if entry.fd == outFD { stdout.append(contentsOf: buffer[0..<count]) } else { stderr.append(contentsOf: buffer[0..<count]) }
                    if stdout.count + stderr.count > 1 << 20 { timedOut = true; kill(process.pid, SIGKILL); open.removeAll(); break }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        close(outFD)
        close(process.stderrFD)
        var status: Int32 = 0
        while waitpid(process.pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return ProbeResult(hasVideo: false, duration: nil, problem: "ffprobe did not finish within \(Int(timeout)) s") }
        let exit = ProcessExit(waitStatus: status)
        guard exit == .code(0) else {
            let message = String(decoding: stderr, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return ProbeResult(hasVideo: false, duration: nil, problem: "ffprobe \(exit)\(message.isEmpty ? "" : ": \(message)")")
        }
        return interpret(json: stdout)
    }

    static func interpret(json: [UInt8]) -> ProbeResult {
        guard let output = try? JSONDecoder().decode(Output.self, from: Data(json)) else {
            return ProbeResult(hasVideo: false, duration: nil, problem: "ffprobe output is not JSON")
        }
        let hasVideo = output.streams?.contains { $0.codec_type == "video" } ?? false
        let duration = output.format?.duration.flatMap(Double.init)
        var problem: String?
        if !hasVideo {
            problem = "no video stream"
        } else if let duration, duration > 0 {
            problem = nil
        } else {
            problem = "no duration (file not finalised)"
        }
        return ProbeResult(hasVideo: hasVideo, duration: duration, problem: problem)
    }
}
