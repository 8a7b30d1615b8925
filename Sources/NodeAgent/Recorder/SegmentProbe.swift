import FoundationEssentials
import FleetProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A closed segment waiting for ffprobe.
struct PendingProbe: Sendable {
    let station: String
    let name: String
    let path: String
    /// Order in which segments were seen closed (supervisor-wide, increasing).
    let seq: Int
    /// When the supervisor saw it closed, on the monotonic clock.
    let closedAt: ContinuousClock.Instant
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
            DetachedThread.start(name: "ffprobe") {
                continuation.resume(returning: probeBlocking(ffprobePath: ffprobePath, file: file, timeout: timeout))
            }
        }
    }

    static func probeBlocking(ffprobePath: String, file: String, timeout: Double) -> ProbeResult {
        let arguments = ["-v", "error", "-show_entries", "format=duration:stream=codec_type", "-of", "json", file]
        let done: ChildProcess.Completion
        do {
            done = try ChildProcess.run(ffprobePath, arguments, captureStdout: true,
                                        timeout: .milliseconds(Int(timeout * 1000)))
        } catch {
            return ProbeResult(hasVideo: false, duration: nil, problem: error.description)
        }
        if done.timedOut { return ProbeResult(hasVideo: false, duration: nil, problem: "ffprobe did not finish within \(Int(timeout)) s") }
        guard done.exit == .code(0) else {
            let message = String(decoding: done.stderr, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return ProbeResult(hasVideo: false, duration: nil, problem: "ffprobe \(done.exit)\(message.isEmpty ? "" : ": \(message)")")
        }
        return interpret(json: done.stdout)
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
