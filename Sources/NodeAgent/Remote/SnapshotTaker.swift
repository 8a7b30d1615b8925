import FleetProtocol
import FoundationEssentials
import Glibc

/// Takes a JPEG of a station's current picture from its newest complete segment on disk:
/// ffmpeg decodes only the keyframes (`-skip_frame nokey`) and keeps the last one
/// (`-update 1`); `showinfo` reports its time in the segment and its size. No second
/// connection to the camera.
///
/// ```swift
/// let taker = SnapshotTaker(ffmpegPath: "ffmpeg", tempDir: stateDir + "/tmp")
/// let upload = try await taker.take(station: "ROST1", stationDir: spec.stationDir, open: openSegments)
/// ```
struct SnapshotTaker {
    let ffmpegPath: String
    let tempDir: String
    var timeout: Duration = .seconds(20)

    enum Failure: Error, CustomStringConvertible {
        case noSegment(String)
        case ffmpeg(String)
        case tooLarge(Int)

        var description: String {
            switch self {
            case .noSegment(let station): return "\(station) has no complete segment on this node yet"
            case .ffmpeg(let detail): return "ffmpeg could not take the snapshot: \(detail)"
            case .tooLarge(let bytes):
                return "snapshot of \(bytes) bytes is over the \(RemoteOutputLimits.maxSnapshotBytes) byte limit"
            }
        }
    }

    /// The newest closed, non-empty segment of the station (a file being written is never
    /// taken). Newest by when it was last written, not by name: after the wall clock was set
    /// back, older segments carry later names.
    static func newestComplete(station: String, stationDir: String, open: Set<String>) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: stationDir)) ?? []
        var candidates: [(path: String, written: Int, name: String)] = []
        for name in names where SegmentName.matches(name, station: station) {
            let path = stationDir.pathJoining(name)
            var info = stat()
            guard !open.contains(path), stat(path, &info) == 0, info.st_size > 0 else { continue }
            candidates.append((path, Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec), name))
        }
        return candidates.max { ($0.written, $0.name) < ($1.written, $1.name) }?.path
    }

    func take(station: String, stationDir: String, open: Set<String>) async throws -> SnapshotUpload {
        guard let segment = Self.newestComplete(station: station, stationDir: stationDir, open: open) else {
            throw Failure.noSegment(station)
        }
        try? FileManager.default.createDirectory(atPath: tempDir, withIntermediateDirectories: true)
        let output = tempDir.pathJoining("snapshot-\(UUID().uuidString.prefix(8)).jpg")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let arguments = ["-hide_banner", "-nostdin", "-skip_frame", "nokey", "-i", segment, "-an",
                         "-vf", "showinfo", "-fps_mode", "passthrough", "-update", "1", "-q:v", "3",
                         "-f", "image2", "-y", output]
        let (ffmpegPath, timeout) = (self.ffmpegPath, self.timeout)
        let completion: Result<ChildProcess.Completion, SpawnError> = await withCheckedContinuation { continuation in
            DetachedThread.start(name: "snapshot-\(station)") {
                continuation.resume(returning: Result { () throws(SpawnError) in
                    try ChildProcess.run(ffmpegPath, arguments, timeout: timeout, outputLimit: 4 << 20)
                })
            }
        }
        let done: ChildProcess.Completion
        switch completion {
        case .success(let value): done = value
        case .failure(let error): throw Failure.ffmpeg("\(error)")
        }
        guard !done.timedOut, done.exit == .code(0) else {
            throw Failure.ffmpeg(done.timedOut ? "timed out" : done.stderrTail(300).split(separator: "\n").last.map(String.init) ?? "failed")
        }
        let jpeg = (try? Data(contentsOf: URL(fileURLWithPath: output))) ?? Data()
        if jpeg.count > RemoteOutputLimits.maxSnapshotBytes { throw Failure.tooLarge(jpeg.count) }
        guard SnapshotUpload.isJPEG(jpeg) else { throw Failure.ffmpeg("no JPEG written") }
        let info = Self.lastFrame(in: String(decoding: done.stderr, as: UTF8.self))
        let name = segment.pathLastName
        let start = SegmentName.startDate(of: name, station: station)
        let modified = (try? FileManager.default.attributesOfItem(atPath: segment)[.modificationDate] as? Date) ?? Date()
        let capturedAt = start.map { $0.addingTimeInterval(info.seconds ?? 0) } ?? modified
        return SnapshotUpload(jpeg: jpeg, capturedAt: capturedAt, segment: name, width: info.width, height: info.height)
    }

    /// The time and size of the last frame `showinfo` printed (`pts_time:4.2 … s:640x480`).
    static func lastFrame(in stderr: String) -> (seconds: Double?, width: Int?, height: Int?) {
        guard let line = stderr.split(separator: "\n").last(where: { $0.contains("pts_time:") }) else { return (nil, nil, nil) }
        var seconds: Double?
        var width: Int?
        var height: Int?
        for field in line.split(separator: " ") {
            if field.hasPrefix("pts_time:") { seconds = Double(field.dropFirst("pts_time:".count)) }
            if field.hasPrefix("s:") {
                let size = field.dropFirst(2).split(separator: "x")
                if size.count == 2 { width = Int(size[0]); height = Int(size[1]) }
            }
        }
        return (seconds, width, height)
    }
}
