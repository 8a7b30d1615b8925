import AsyncHTTPClient
import Crypto
import FleetProtocol
import FoundationEssentials
import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Fetches an agent build into `downloads/SHA.part`, resuming a partial file with
/// `Range: bytes=N-` (206 appends; 200 starts again from zero), streaming to disk, then checks
/// size and SHA-256 (streamed). One call is one attempt, bounded by `attemptTimeout`.
///
/// ```swift
/// let downloader = BuildDownloader(http: http)
/// try await downloader.download(url: base + Endpoints.agentBuildDownload.path(node, build.version, build.arch),
///                               token: nodeToken, build: build, part: paths.partPath(sha256: build.sha256)) { done, total in
///     status = AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: .downloading,
///                                 bytesDone: done, bytesTotal: total)
/// }
/// ```
public struct BuildDownloader: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let reason: AgentUpgradeStatus.Reason
        public let detail: String
        public var description: String { "\(reason.rawValue): \(detail)" }
    }

    let http: HTTPClient
    let attemptTimeout: TimeAmount

    public init(http: HTTPClient, attemptTimeout: TimeAmount = .minutes(10)) {
        self.http = http
        self.attemptTimeout = attemptTimeout
    }

    /// Downloads (or finishes downloading) `build` into `part` and verifies it. A complete part
    /// file with the right digest needs no request at all.
    public func download(url: String, token: String, build: AgentBuild, part: String,
                         progress: @escaping @Sendable (Int64, Int64) async -> Void) async throws {
        try FileManager.default.createDirectory(atPath: part.pathParent,
                                                withIntermediateDirectories: true)
        var have = Self.size(of: part)
        if have > build.size { unlink(part); have = 0 }
        if have == build.size {
            if (try? Self.verify(part: part, build: build)) != nil { return }
            unlink(part)
            have = 0
        }
        await progress(have, build.size)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "User-Agent", value: "fleet-agent/\(FleetVersion.current)")
        if have > 0 { request.headers.add(name: "Range", value: "bytes=\(have)-") }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: .now() + attemptTimeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Failure(reason: .downloadFailed, detail: "\(url): \(error)")
        }
        let status = Int(response.status.code)
        var offset: Int64
        switch status {
        case 206:
            let range = response.headers.first(name: "Content-Range") ?? ""
            guard range.hasPrefix("bytes \(have)-") else {
                unlink(part)
                throw Failure(reason: .downloadFailed, detail: "unexpected Content-Range '\(range)' for bytes=\(have)-")
            }
            offset = have
        case 200:
            offset = 0
        case 416:
            unlink(part)
            throw Failure(reason: .downloadFailed, detail: "the coordinator refused range bytes=\(have)-; starting over")
        default:
            throw Failure(reason: .downloadFailed, detail: "coordinator answered \(status) for \(url)")
        }
        let fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC | (offset == 0 ? O_TRUNC : O_APPEND), 0o600)
        guard fd >= 0 else {
            throw Failure(reason: .installFailed, detail: "cannot open \(part): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        do {
            for try await chunk in response.body {
                guard offset + Int64(chunk.readableBytes) <= build.size else {
                    unlink(part)
                    throw Failure(reason: .digestMismatch, detail: "the coordinator sent more than the build's \(build.size) bytes")
                }
                try chunk.withUnsafeReadableBytes { try FileIO.writeAll(fd, $0, path: part) }
                offset += Int64(chunk.readableBytes)
                await progress(offset, build.size)
            }
            try FileIO.fsyncFile(fd, path: part)
        } catch let failure as Failure {
            throw failure
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // What arrived stays on disk: the next attempt resumes from there.
            throw Failure(reason: .downloadFailed, detail: "transfer interrupted at \(offset) of \(build.size) bytes: \(error)")
        }
        guard offset == build.size else {
            throw Failure(reason: .downloadFailed, detail: "transfer ended at \(offset) of \(build.size) bytes")
        }
        try Self.verify(part: part, build: build)
    }

    /// Checks size and SHA-256 of a complete file; a mismatching file is removed.
    public static func verify(part: String, build: AgentBuild) throws {
        let size = size(of: part)
        guard size == build.size else {
            unlink(part)
            throw Failure(reason: .digestMismatch, detail: "size \(size), want \(build.size)")
        }
        guard let digest = sha256(file: part) else {
            throw Failure(reason: .downloadFailed, detail: "cannot read \(part)")
        }
        guard digest == build.sha256.lowercased() else {
            unlink(part)
            throw Failure(reason: .digestMismatch, detail: "sha256 \(digest), want \(build.sha256)")
        }
    }

    /// Lower-case hex SHA-256 of a file, read in 1 MiB chunks.
    public static func sha256(file: String) -> String? {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize().lowercaseHex
    }

    static func size(of path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
