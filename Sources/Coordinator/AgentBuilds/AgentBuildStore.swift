import FleetProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A published agent build as stored in `build.json` next to its binary.
struct StoredAgentBuild: Codable, Sendable, Equatable {
    var build: AgentBuild
    var publishedAt: Date
    var publishedBy: String?
}

/// Why a publish was refused; the controller maps each to its HTTP answer.
enum AgentBuildStoreError: Error, Equatable, CustomStringConvertible {
    /// Other bytes than the stored build of this version and arch (409).
    case immutable(version: String, arch: String, stored: String, sent: String)
    /// The body is over the limit (413).
    case tooLarge(limit: Int64)
    /// The body's SHA-256 is not the one the client announced (400).
    case digestMismatch(announced: String, received: String)
    /// An empty body (400).
    case empty
    /// The disk refused (500; the operator reads the log).
    case io(String)

    var description: String {
        switch self {
        case let .immutable(version, arch, stored, sent):
            return "agent build \(version)/\(arch) is already published with sha256 \(stored.prefix(12))…; "
                + "these bytes are \(sent.prefix(12))…. Versions are immutable: publish the new binary under a new --version"
        case .tooLarge(let limit):
            return "agent build is over the \(AgentBuildStore.describe(bytes: limit)) limit"
        case let .digestMismatch(announced, received):
            return "the uploaded bytes have sha256 \(received), not the announced \(announced): the upload was damaged; publish again"
        case .empty:
            return "agent build is empty"
        case .io(let detail):
            return "cannot store the agent build: \(detail)"
        }
    }
}

/// The published agent builds, in `DATA/agent-builds/VERSION/ARCH/{fleet-agent,build.json}`.
///
/// A publish streams into `DATA/agent-builds/.incoming/` (``AgentBuildUpload``); ``commit(_:)``
/// then moves the fsynced file into place and writes `build.json` last, so a build without its
/// `build.json` (a crash half-way) is not listed and is replaced by the next publish.
/// Versions are immutable: other bytes under a published version and arch are refused.
///
/// ```swift
/// let store = try AgentBuildStore(root: dataDir + "/agent-builds")
/// let upload = try await AgentBuildUpload.receive(request.body, into: store.incomingDirectory, limit: store.maxBytes)
/// let (stored, created) = try await store.commit(upload.build(version: "0.2.0", arch: .arm64, signature: nil), file: upload.path)
/// ```
public actor AgentBuildStore {
    public nonisolated let root: String
    /// Largest accepted build (``AgentBuild/maxSize`` unless a test makes it smaller).
    public nonisolated let maxBytes: Int64
    private var builds: [String: StoredAgentBuild] = [:]

    /// Reads every complete build under `root` (created when missing); clears left-over uploads.
    public init(root: String, maxBytes: Int64 = AgentBuild.maxSize) throws {
        self.root = root
        self.maxBytes = maxBytes
        let manager = FileManager.default
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
        try? manager.removeItem(atPath: Self.incoming(root))
        try manager.createDirectory(atPath: Self.incoming(root), withIntermediateDirectories: true)
        var found: [String: StoredAgentBuild] = [:]
        for version in (try? manager.contentsOfDirectory(atPath: root)) ?? [] where AgentBuild.isValidVersion(version) {
            for arch in AgentArch.allCases {
                let folder = Self.folder(root, version: version, arch: arch.rawValue)
                guard let data = manager.contents(atPath: folder + "/build.json"),
                      let stored = try? WireCoding.decode(StoredAgentBuild.self, from: data),
                      stored.build.version == version, stored.build.arch == arch.rawValue,
                      let size = (try? manager.attributesOfItem(atPath: folder + "/fleet-agent"))?[.size] as? NSNumber,
                      size.int64Value == stored.build.size else { continue }
                found[Self.key(version, arch.rawValue)] = stored
            }
        }
        builds = found
    }

    /// Where uploads are streamed to before ``commit(_:file:publishedBy:)``.
    nonisolated var incomingDirectory: String { Self.incoming(root) }

    /// Every stored build, sorted by version then arch.
    func all() -> [StoredAgentBuild] {
        builds.values.sorted { ($0.build.version, $0.build.arch) < ($1.build.version, $1.build.arch) }
    }

    /// The stored build of `version` for `arch`.
    func build(version: String, arch: String) -> StoredAgentBuild? {
        builds[Self.key(version, arch)]
    }

    /// The binary of a stored build.
    nonisolated func binaryPath(version: String, arch: String) -> String {
        Self.folder(root, version: version, arch: arch) + "/fleet-agent"
    }

    /// Stores the uploaded `file` (already fsynced) as `build`; `created` is false when the same
    /// bytes were published before (the upload is dropped). Throws ``AgentBuildStoreError/immutable``
    /// for other bytes under a published version and arch.
    func commit(_ build: AgentBuild, file: String, publishedBy: String?, now: Date = Date()) throws
        -> (stored: StoredAgentBuild, created: Bool) {
        let key = Self.key(build.version, build.arch)
        if let existing = builds[key] {
            unlink(file)
            guard existing.build.sha256 == build.sha256 else {
                throw AgentBuildStoreError.immutable(version: build.version, arch: build.arch,
                                                     stored: existing.build.sha256, sent: build.sha256)
            }
            return (existing, false)
        }
        let folder = Self.folder(root, version: build.version, arch: build.arch)
        let stored = StoredAgentBuild(build: build, publishedAt: now, publishedBy: publishedBy)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            chmod(file, 0o755)
            try Self.rename(file, to: folder + "/fleet-agent")
            let json = folder + "/build.json.tmp"
            try Self.writeSynced(try WireCoding.encode(stored), to: json)
            try Self.rename(json, to: folder + "/build.json")
            Self.syncDirectory(folder)
            Self.syncDirectory((folder as NSString).deletingLastPathComponent)
            Self.syncDirectory(root)
        } catch let error as AgentBuildStoreError {
            unlink(file)
            throw error
        } catch {
            unlink(file)
            throw AgentBuildStoreError.io("\(error)")
        }
        builds[key] = stored
        return (stored, true)
    }

    // MARK: Files

    static func key(_ version: String, _ arch: String) -> String { "\(version)/\(arch)" }

    static func folder(_ root: String, version: String, arch: String) -> String { "\(root)/\(version)/\(arch)" }

    static func incoming(_ root: String) -> String { root + "/.incoming" }

    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw AgentBuildStoreError.io("rename \(from): \(String(cString: strerror(errno)))")
        }
    }

    static func writeSynced(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AgentBuildStoreError.io("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try data.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        guard fsync(fd) == 0 else { throw AgentBuildStoreError.io("fsync \(path): \(String(cString: strerror(errno)))") }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let written = write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw AgentBuildStoreError.io("write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func describe(bytes: Int64) -> String {
        let mib: Int64 = 1024 * 1024
        if bytes % mib == 0 { return "\(bytes / mib) MiB" }
        if bytes % 1024 == 0 { return "\(bytes / 1024) KiB" }
        return "\(bytes) bytes"
    }
}
