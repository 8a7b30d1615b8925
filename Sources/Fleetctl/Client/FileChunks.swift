import FleetProtocol
import Crypto
import Foundation
import NIOCore

/// A file read front to back in chunks, as an upload body: only one chunk is in memory at a time.
///
/// ```swift
/// request.body = .stream(FileChunks(path: "fleet-agent"), length: .known(size))
/// let digest = try FileChunks.sha256(of: "fleet-agent")   // "9f86d0…", also streamed
/// ```
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    var chunkSize = 256 * 1024

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let chunkSize: Int
        var handle: FileHandle?
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            if handle == nil { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) }
            guard let data = try handle?.read(upToCount: chunkSize), !data.isEmpty else {
                finished = true
                try? handle?.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, chunkSize: chunkSize)
    }

    /// Lower-case hex SHA-256 and size of the file at `path`, read in chunks.
    static func sha256(of path: String, chunkSize: Int = 1024 * 1024) throws -> (digest: String, size: Int64) {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let data = try handle.read(upToCount: chunkSize), !data.isEmpty {
            hasher.update(data: data)
            size += Int64(data.count)
        }
        return (hasher.finalize().lowercaseHex, size)
    }
}
