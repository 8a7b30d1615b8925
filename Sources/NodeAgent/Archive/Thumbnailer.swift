import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension ArchiveJob {
    // MARK: thumbnails

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Makes the thumbnail of an archived image when it does not exist yet (temp + fsync + rename).
    /// A failure is an event, never a failed run.
    func makeThumbnailIfNeeded(_ file: FoundFile, station: String?, recorded: Date, state: RunState) {
        guard let thumbs = spec.thumbnails,
              Self.imageExtensions.contains(file.path.pathExtensionName.lowercased()) else { return }
        let dir = TargetTemplate.expand(thumbs.target, station: station, date: recorded)
        guard TargetTemplate.isResolved(dir) else { return }
        let relative = (file.relativePath.pathRemovingExtension) + ".jpg"
        let target = dir.pathJoining(relative)
        if FileIO.exists(target) { return }
        var journaled: String?
        defer { if let journaled { try? ledger.clearPartial(journaled) } }
        do {
            try Thumbnailer.make(source: file.path, target: target, spec: thumbs, ffmpeg: configuration.ffmpegPath,
                                 timeout: configuration.thumbnailTimeoutSeconds) { temp in
                try ledger.journalPartial(temp, job: spec.name)
                journaled = temp
            }
        } catch {
            state.fileFailed("archive.thumbnail-failed", station: station, "thumbnail of \(file.path): \(error)")
        }
    }
}

/// JPEG thumbnails through ffmpeg.
public enum Thumbnailer {
    /// Maps JPEG quality 1–100 to ffmpeg's `-q:v` scale 31 (worst) … 2 (best).
    public static func ffmpegQuality(_ quality: Int) -> Int {
        let q = min(100, max(1, quality))
        return 31 - Int((Double(q - 1) * 29.0 / 99.0).rounded())
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Writes a width×height JPEG of `source` to `target` via a temporary name, fsync and rename.
    public static func make(source: String, target: String, spec: ThumbnailSpec, ffmpeg: String, timeout: Double,
                            journal: (String) throws -> Void = { _ in }) throws {
        guard let exe = ChildProcess.which(ffmpeg) else { throw Failure(message: "ffmpeg not found (\(ffmpeg))") }
        try FileIO.makeDirectories(target.pathParent)
        FileIO.removeLeftoverPartials(for: target)
        let temp = FileIO.partialPath(for: target, suffix: ".jpg")
        try journal(temp)
        var committed = false
        defer { if !committed { unlink(temp) } }
        let result = try ChildProcess.run(exe, ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", source,
                                                "-vf", "scale=\(spec.width):\(spec.height)", "-q:v", "\(ffmpegQuality(spec.quality))",
                                                "-frames:v", "1", "-update", "1", "-f", "image2", temp],
                                          timeout: .milliseconds(Int(timeout * 1000)))
        guard result.exit == .code(0) else {
            throw Failure(message: "ffmpeg \(result.timedOut ? "timed out after \(timeout) s, " : "")\(result.exit): \(result.stderrTail())")
        }
        let fd = open(temp, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.SystemError(operation: "open", path: temp, code: errno) }
        defer { close(fd) }
        try FileIO.fsyncFile(fd, path: temp)
        try FileIO.commit(temp: temp, final: target)
        committed = true
    }
}
