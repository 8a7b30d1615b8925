import FoundationEssentials

/// One published build of `fleet-agent` for one CPU architecture.
///
/// Published with `fleetctl agent publish BINARY --version V [--arch arm64|x86_64] [--signing-key KEY]`;
/// the coordinator stores the bytes and checks the SHA-256. An assignment names the builds of the
/// version its node must run (``AgentTarget``); the agent picks the one for its own architecture,
/// downloads it (resumable) from ``Endpoints/agentBuildDownload``, checks ``size`` and ``sha256``,
/// and — when its configuration holds a public key — the Ed25519 ``signature`` over
/// ``signedStatement``.
///
/// ```swift
/// let build = AgentBuild(version: "0.2.0", arch: "arm64", sha256: hex, size: 48_213_504)
/// let signature = try key.signature(for: Data(build.signedStatement.utf8))   // operator side
/// ```
public struct AgentBuild: Codable, Sendable, Equatable, Hashable {
    /// The operator's version label, e.g. `0.2.0` (``AgentBuild/isValidVersion(_:)``).
    public var version: String
    /// `arm64` or `x86_64` (``AgentArch``).
    public var arch: String
    /// Lower-case hex SHA-256 of the binary.
    public var sha256: String
    public var size: Int64
    /// Base64 Ed25519 signature over ``signedStatement``; nil for an unsigned build.
    public var signature: String?

    public init(version: String, arch: String, sha256: String, size: Int64, signature: String? = nil) {
        self.version = version
        self.arch = arch
        self.sha256 = sha256
        self.size = size
        self.signature = signature
    }

    /// The exact text an Ed25519 signature covers: version, architecture, digest and size, so a
    /// signature of one build can be neither moved to another version nor to other bytes.
    public var signedStatement: String {
        "stationfleet-agent-build v1\nversion=\(version)\narch=\(arch)\nsha256=\(sha256)\nsize=\(size)\n"
    }

    /// Letters, digits, `.`, `-`, `_` and `+`, 1–64 characters, starting with a letter or digit.
    public static func isValidVersion(_ version: String) -> Bool {
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard (1...64).contains(version.utf8.count), let first = version.utf8.first, isAlphanumeric(first) else { return false }
        return version.utf8.allSatisfy { isAlphanumeric($0) || "._-+".utf8.contains($0) }
    }

    /// Largest agent build the coordinator accepts (256 MiB).
    public static let maxSize: Int64 = 256 * 1024 * 1024
}

/// CPU architectures of agent builds, named as `fleetctl agent publish --arch` takes them.
public enum AgentArch: String, Codable, Sendable, CaseIterable {
    case arm64
    case x86_64

    /// This process's architecture. Other architectures (a 32-bit armv7 Raspberry Pi OS, say)
    /// do not build: an agent must never report, and upgrade to, another CPU's build.
    public static var current: AgentArch {
        #if arch(arm64)
        return .arm64
        #elseif arch(x86_64)
        return .x86_64
        #else
        #error("StationFleet builds for arm64 (aarch64) and x86_64 only; use a 64-bit OS on the Raspberry Pi")
        #endif
    }

    /// Accepts `uname -m` spellings too: `aarch64` is arm64, `amd64` is x86_64.
    public init?(name: String) {
        switch name.lowercased() {
        case "arm64", "aarch64": self = .arm64
        case "x86_64", "amd64", "x86-64": self = .x86_64
        default: return nil
        }
    }
}

/// The agent version a node's assignment wants (inventory `agentVersion:` in defaults, a site or
/// a node), with every published build of it. Nil in an ``Assignment`` means "keep the agent
/// that runs".
public struct AgentTarget: Codable, Sendable, Equatable, Hashable {
    public var version: String
    /// One per published architecture, sorted by arch.
    public var builds: [AgentBuild]

    public init(version: String, builds: [AgentBuild]) {
        self.version = version
        self.builds = builds
    }

    /// The build for `arch`, if one was published.
    public func build(for arch: AgentArch) -> AgentBuild? {
        builds.first { $0.arch == arch.rawValue }
    }
}

/// What the agent reports about the upgrade to its assignment's ``AgentTarget``
/// (`StatusReport.agentUpgrade`); nil when the running agent is already the wanted one or none
/// is wanted.
public struct AgentUpgradeStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Fetching the build; ``bytesDone`` of ``bytesTotal``.
        case downloading
        /// The new build was started and has not yet proven itself.
        case trial
        /// The new build failed (it exited, hung, or was never healthy) and the agent went back to
        /// the previous binary by itself; it will not try this build again.
        case rolledBack = "rolled-back"
        /// The build could not be used at all (no build for this architecture, bad digest or
        /// signature, no space): nothing was swapped.
        case failed
    }

    /// Reason codes of ``rolledBack`` and ``failed``.
    public enum Reason: String, Codable, Sendable, CaseIterable {
        case noBuildForArch = "no-build-for-arch"
        case downloadFailed = "download-failed"
        case digestMismatch = "digest-mismatch"
        case signatureMissing = "signature-missing"
        case signatureInvalid = "signature-invalid"
        case installFailed = "install-failed"
        case exitedAtStart = "exited-at-start"
        case notHealthy = "not-healthy-in-time"
    }

    public var version: String
    public var sha256: String
    public var state: State
    public var reason: Reason?
    /// One line for people, e.g. `build exited with code 3 within 1 s of its start`.
    public var detail: String?
    public var bytesDone: Int64?
    public var bytesTotal: Int64?

    public init(version: String, sha256: String, state: State, reason: Reason? = nil, detail: String? = nil,
                bytesDone: Int64? = nil, bytesTotal: Int64? = nil) {
        self.version = version
        self.sha256 = sha256
        self.state = state
        self.reason = reason
        self.detail = detail
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
    }
}

/// A stored agent build as `GET /v1/agent/builds` lists it.
public struct AgentBuildView: Codable, Sendable, Equatable {
    public var build: AgentBuild
    public var publishedAt: Date
    /// The token that published it (`admin`, or `admin (alice)` with fleetctl's `--by`).
    public var publishedBy: String?
    /// Nodes whose assignment wants this version now.
    public var wantedBy: Int

    public init(build: AgentBuild, publishedAt: Date, publishedBy: String? = nil, wantedBy: Int = 0) {
        self.build = build
        self.publishedAt = publishedAt
        self.publishedBy = publishedBy
        self.wantedBy = wantedBy
    }
}

/// Raw bytes as a request or response body (agent builds), not JSON.
public struct BinaryBody: Sendable, Equatable {
    public var data: Data
    public init(_ data: Data) { self.data = data }
}
