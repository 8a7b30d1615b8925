import Crypto
import Foundation

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
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
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

/// The admin and join tokens, kept as files (mode 0600) in the data dir and as hashes in memory.
public struct CoordinatorSecrets: Sendable {
    public let adminTokenPath: String
    public let joinTokenPath: String
    let adminHash: String
    let joinHash: String

    /// Loads both token files from `dataDir`, creating any that is missing.
    /// Returns the secrets and the paths it created.
    public static func loadOrCreate(dataDir: String) throws -> (CoordinatorSecrets, created: [String]) {
        let admin = (dataDir as NSString).appendingPathComponent("admin.token")
        let join = (dataDir as NSString).appendingPathComponent("join.token")
        var created: [String] = []
        let adminToken = try loadOrCreate(path: admin, prefix: "sfa_", created: &created)
        let joinToken = try loadOrCreate(path: join, prefix: "sfj_", created: &created)
        return (CoordinatorSecrets(adminTokenPath: admin, joinTokenPath: join,
                                   adminHash: Tokens.hash(adminToken), joinHash: Tokens.hash(joinToken)), created)
    }

    func isAdmin(_ token: String) -> Bool { Tokens.constantTimeEquals(Tokens.hash(token), adminHash) }
    func isJoin(_ token: String) -> Bool { Tokens.constantTimeEquals(Tokens.hash(token), joinHash) }

    private static func loadOrCreate(path: String, prefix: String, created: inout [String]) throws -> String {
        let manager = FileManager.default
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
