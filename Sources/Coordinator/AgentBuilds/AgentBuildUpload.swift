import Crypto
import FleetProtocol
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// One upload streamed to a file under the store's incoming folder: the bytes never sit in
/// memory whole, the SHA-256 is computed on the way, and more than `limit` bytes end it.
/// Writes and the final fsync run on NIO's blocking-IO thread pool, not the cooperative pool.
///
/// ```swift
/// let upload = try await AgentBuildUpload.receive(request.body, into: store.incomingDirectory, limit: store.maxBytes)
/// upload.sha256   // lower-case hex; the file is fsynced
/// ```
struct AgentBuildUpload: Sendable {
    /// The fsynced temp file; the caller commits or removes it.
    let path: String
    let sha256: String
    let size: Int64

    /// Streams `body` into a new file in `folder`. Throws ``AgentBuildStoreError/tooLarge(limit:)``
    /// past `limit` and ``AgentBuildStoreError/empty`` for no bytes; the file is removed on any error.
    static func receive<Body: AsyncSequence>(_ body: Body, into folder: String, limit: Int64,
                                             pool: NIOThreadPool = .singleton) async throws -> AgentBuildUpload
    where Body.Element == ByteBuffer {
        let path = "\(folder)/\(UUID().uuidString).part"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgentBuildStoreError.io("\(path): \(String(cString: strerror(errno)))") }
        var closed = false
        do {
            var hasher = SHA256()
            var size: Int64 = 0
            for try await buffer in body {
                size += Int64(buffer.readableBytes)
                guard size <= limit else { throw AgentBuildStoreError.tooLarge(limit: limit) }
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try await pool.runIfActive {
                    try buffer.withUnsafeReadableBytes { try AgentBuildStore.writeAll(fd, $0, path: path) }
                }
            }
            guard size > 0 else { throw AgentBuildStoreError.empty }
            try await pool.runIfActive {
                guard fsync(fd) == 0 else { throw AgentBuildStoreError.io("fsync \(path): \(String(cString: strerror(errno)))") }
            }
            closed = true
            close(fd)
            let digest = hasher.finalize().lowercaseHex
            return AgentBuildUpload(path: path, sha256: digest, size: size)
        } catch {
            if !closed { close(fd) }
            unlink(path)
            throw error
        }
    }

    /// Lower-case hex of 64 digits, or nil.
    static func normalizedDigest(_ text: String) -> String? {
        let lower = text.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return nil
        }
        return lower
    }

    /// Whether `text` is base64 of exactly 64 bytes (an Ed25519 signature).
    static func isSignature(_ text: String) -> Bool {
        Data(base64Encoded: text)?.count == 64
    }
}
