import Crypto
import FleetProtocol
import Foundation
import Synchronization

/// Token generation, hashing and constant-time comparison.
public enum Tokens {
    /// A new random token with a readable prefix, e.g. `sfa_…` for admin.
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let body = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + body
    }

    /// Hex SHA-256 of a token: what the coordinator stores.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).lowercaseHex
    }

    /// Compares two equal-length strings without an early exit.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// Errors while preparing the coordinator's secrets.
public enum TokenFileError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case empty(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read token file \(path): \(reason)"
        case .unwritable(let path, let reason): return "cannot write token file \(path): \(reason)"
        case .empty(let path): return "token file \(path) is empty"
        }
    }
}

/// The admin and join tokens, kept as files (mode 0600) in the data dir and as hashes in
/// memory. The join token can be rotated (the old one stops working at once) and can carry
/// an expiry, kept beside it in `join.token.expires` (ISO 8601).
///
/// ```swift
/// let (secrets, _) = try CoordinatorSecrets.loadOrCreate(dataDir: "/var/lib/stationfleet")
/// let rotated = try secrets.rotateJoin(validFor: 7 * 24 * 3600)   // new token, expires in a week
/// secrets.isJoin(rotated.token)                                    // true until then
/// ```
public final class CoordinatorSecrets: Sendable {
    public let adminTokenPath: String
    public let joinTokenPath: String
    let adminHash: String
    private let join: Mutex<JoinToken>
    /// Read-only tokens (`viewer.tokens` beside the others).
    public let viewers: ViewerTokens

    struct JoinToken: Sendable {
        var hash: String
        var expiresAt: Date?
    }

    /// A freshly rotated join token: shown once to the admin who asked.
    public struct RotatedJoinToken: Sendable {
        public var token: String
        public var path: String
        public var expiresAt: Date?
    }

    init(adminTokenPath: String, joinTokenPath: String, adminHash: String, joinHash: String, joinExpiresAt: Date?,
         viewers: ViewerTokens) {
        self.viewers = viewers
        self.adminTokenPath = adminTokenPath
        self.joinTokenPath = joinTokenPath
        self.adminHash = adminHash
        join = Mutex(JoinToken(hash: joinHash, expiresAt: joinExpiresAt))
    }

    var joinExpiryPath: String { joinTokenPath + ".expires" }

    /// Loads both token files from `dataDir`, creating any that is missing.
    /// Returns the secrets and the paths it created.
    public static func loadOrCreate(dataDir: String) throws -> (CoordinatorSecrets, created: [String]) {
        let admin = (dataDir as NSString).appendingPathComponent("admin.token")
        let join = (dataDir as NSString).appendingPathComponent("join.token")
        var created: [String] = []
        let adminToken = try loadOrCreate(path: admin, prefix: "sfa_", created: &created)
        let joinToken = try loadOrCreate(path: join, prefix: "sfj_", created: &created)
        var expiresAt: Date?
        if let text = try? String(contentsOfFile: join + ".expires", encoding: .utf8) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let date = WireCoding.parseDate(trimmed) else {
                throw TokenFileError.unreadable(path: join + ".expires", reason: "not an ISO 8601 time: \(trimmed.prefix(40))")
            }
            expiresAt = date
        }
        return (CoordinatorSecrets(adminTokenPath: admin, joinTokenPath: join, adminHash: Tokens.hash(adminToken),
                                   joinHash: Tokens.hash(joinToken), joinExpiresAt: expiresAt,
                                   viewers: try ViewerTokens.load(path: (dataDir as NSString).appendingPathComponent("viewer.tokens"))),
                created)
    }

    func isAdmin(_ token: String) -> Bool { Tokens.constantTimeEquals(Tokens.hash(token), adminHash) }

    /// True for the current, unexpired join token.
    func isJoin(_ token: String, now: Date = Date()) -> Bool {
        let current = join.withLock { $0 }
        guard Tokens.constantTimeEquals(Tokens.hash(token), current.hash) else { return false }
        return current.expiresAt.map { now < $0 } ?? true
    }

    /// When `token` is the current join token but has expired: its expiry.
    func joinExpiry(ifExpired token: String, now: Date = Date()) -> Date? {
        let current = join.withLock { $0 }
        guard let expiresAt = current.expiresAt, now >= expiresAt,
              Tokens.constantTimeEquals(Tokens.hash(token), current.hash) else { return nil }
        return expiresAt
    }

    /// The join token as coordinators sharing a store keep it (no plaintext).
    func sharedJoin(rotatedAt: Date) -> SharedJoinToken {
        let current = join.withLock { $0 }
        return SharedJoinToken(hash: current.hash, expiresAt: current.expiresAt, rotatedAt: rotatedAt)
    }

    /// Accepts the join token another coordinator on the same store rotated to (in memory
    /// only: this instance never saw its plaintext). True when that changed the token.
    func adoptJoin(_ shared: SharedJoinToken) -> Bool {
        join.withLock { current in
            guard current.hash != shared.hash || current.expiresAt != shared.expiresAt else { return false }
            current = JoinToken(hash: shared.hash, expiresAt: shared.expiresAt)
            return true
        }
    }

    /// The join token's expiry, if it has one.
    public var joinExpiresAt: Date? { join.withLock { $0.expiresAt } }

    /// Replaces the join token: the file is rewritten atomically (0600) and the old token
    /// stops working at once. Registered nodes keep their own credentials.
    public func rotateJoin(validFor seconds: TimeInterval?, now: Date = Date()) throws -> RotatedJoinToken {
        try commitJoin(token: Tokens.generate(prefix: "sfj_"), expiresAt: seconds.map { now.addingTimeInterval($0) })
    }

    /// Makes `token` the join token: file first, then memory.
    func commitJoin(token: String, expiresAt: Date?) throws -> RotatedJoinToken {
        try Self.writeAtomically(joinTokenPath, token + "\n")
        if let expiresAt {
            try Self.writeAtomically(joinExpiryPath, expiresAt.formatted(.iso8601) + "\n")
        } else if FileManager.default.fileExists(atPath: joinExpiryPath) {
            do { try FileManager.default.removeItem(atPath: joinExpiryPath) } catch {
                throw TokenFileError.unwritable(path: joinExpiryPath, reason: error.localizedDescription)
            }
        }
        join.withLock { $0 = JoinToken(hash: Tokens.hash(token), expiresAt: expiresAt) }
        return RotatedJoinToken(token: token, path: joinTokenPath, expiresAt: expiresAt)
    }

    static func writeAtomically(_ path: String, _ text: String) throws {
        let temporary = path + ".tmp-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw TokenFileError.unwritable(path: path, reason: "cannot create \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw TokenFileError.unwritable(path: path, reason: reason)
        }
    }

    private static func loadOrCreate(path: String, prefix: String, created: inout [String]) throws -> String {        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw TokenFileError.unreadable(path: path, reason: "\(error.localizedDescription)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw TokenFileError.empty(path: path) }
            return token
        }
        let token = Tokens.generate(prefix: prefix)
        guard manager.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TokenFileError.unwritable(path: path, reason: "create failed")
        }
        created.append(path)
        return token
    }
}
