import Crypto
@testable import FleetAgent
import FleetProtocol
import Foundation
import Testing

@Suite struct BuildSignatureTests {
    let key = Curve25519.Signing.PrivateKey()
    let build = AgentBuild(version: "0.2.0", arch: "arm64", sha256: String(repeating: "0f", count: 32), size: 48_213_504)

    func signed(_ build: AgentBuild, with key: Curve25519.Signing.PrivateKey) throws -> AgentBuild {
        var copy = build
        copy.signature = try key.signature(for: Data(build.signedStatement.utf8)).base64EncodedString()
        return copy
    }

    @Test func validSignatureIsAccepted() throws {
        let publicKey = try BuildSignature.publicKey(base64: key.publicKey.rawRepresentation.base64EncodedString())
        #expect(BuildSignature.problem(with: try signed(build, with: key), publicKey: publicKey) == nil)
    }

    @Test func unsignedBuildIsRefusedOnlyWhenAKeyIsConfigured() {
        #expect(BuildSignature.problem(with: build, publicKey: key.publicKey)?.reason == .signatureMissing)
        #expect(BuildSignature.problem(with: build, publicKey: nil) == nil)
    }

    @Test func otherKeyOrMovedSignatureIsRefused() throws {
        let other = try signed(build, with: Curve25519.Signing.PrivateKey())
        #expect(BuildSignature.problem(with: other, publicKey: key.publicKey)?.reason == .signatureInvalid)
        // A valid signature moved to other bytes (or another version) no longer verifies.
        var moved = try signed(build, with: key)
        moved.sha256 = String(repeating: "1f", count: 32)
        #expect(BuildSignature.problem(with: moved, publicKey: key.publicKey)?.reason == .signatureInvalid)
        var garbage = build
        garbage.signature = "not base64!"
        #expect(BuildSignature.problem(with: garbage, publicKey: key.publicKey)?.reason == .signatureInvalid)
    }

    @Test func keyFileMustHoldAnEd25519PublicKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-key-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (key.publicKey.rawRepresentation.base64EncodedString() + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try BuildSignature.loadPublicKey(file: path).rawRepresentation == key.publicKey.rawRepresentation)
        try Data(repeating: 1, count: 16).base64EncodedString().write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: BuildSignature.KeyError.self) { try BuildSignature.loadPublicKey(file: path) }
    }
}
