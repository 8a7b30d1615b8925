import Crypto
import FleetProtocol
import FoundationEssentials

/// The Ed25519 check of `--upgrade-public-key FILE` (base64 of the raw 32-byte public key).
///
/// ```swift
/// let key = try BuildSignature.loadPublicKey(file: "/etc/stationfleet/upgrade.pub")
/// if let problem = BuildSignature.problem(with: build, publicKey: key) { refuse(problem) }
/// ```
public enum BuildSignature {
    public struct KeyError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func loadPublicKey(file: String) throws -> Curve25519.Signing.PublicKey {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw KeyError(description: "cannot read upgrade public key \(file)")
        }
        return try publicKey(base64: text.trimmedWhitespaceAndNewlines, source: file)
    }

    public static func publicKey(base64: String, source: String = "key") throws -> Curve25519.Signing.PublicKey {
        guard let raw = Data(base64Encoded: base64) else {
            throw KeyError(description: "\(source): not base64")
        }
        do {
            return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw KeyError(description: "\(source): not an Ed25519 public key (\(raw.count) bytes, want 32)")
        }
    }

    /// Why `build` must be refused under `publicKey`, nil when it may be used. Without a key
    /// every build may be used.
    public static func problem(with build: AgentBuild, publicKey: Curve25519.Signing.PublicKey?)
        -> (reason: AgentUpgradeStatus.Reason, detail: String)? {
        guard let publicKey else { return nil }
        guard let text = build.signature, !text.isEmpty else {
            return (.signatureMissing, "build \(build.version) (\(build.arch)) is unsigned and this agent requires signed builds")
        }
        guard let signature = Data(base64Encoded: text),
              publicKey.isValidSignature(signature, for: Data(build.signedStatement.utf8)) else {
            return (.signatureInvalid, "the signature of build \(build.version) (\(build.arch)) does not verify with this agent's upgrade public key")
        }
        return nil
    }
}
