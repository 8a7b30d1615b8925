// Agent builds end to end: fleetctl agent keygen/publish/builds against the real coordinator,
// and the node's download endpoint with and without Range.
import AsyncHTTPClient
import Crypto
import FleetCoordinator
import FleetProtocol
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import FleetctlCore

@Suite struct AgentBuildTests {
    /// A raw answer of the download endpoint.
    struct Raw {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// `GET path` with `token` and an optional `Range` header, body collected.
    static func rawGet(_ coordinator: TestCoordinator, _ path: String, token: String, range: String? = nil) async throws -> Raw {
        var request = HTTPClientRequest(url: coordinator.url + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let range { request.headers.add(name: "Range", value: range) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(request, timeout: .seconds(20))
            let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
            try await client.shutdown()
            return Raw(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// A file of `count` random bytes in `dir`.
    static func binary(_ dir: URL, _ name: String, count: Int) throws -> (path: String, data: Data) {
        let data = Data((0..<count).map { _ in UInt8.random(in: 0...255) })
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return (url.path, data)
    }

    static func builds(_ coordinator: TestCoordinator) async throws -> [AgentBuildView] {
        let listed = await fleetctl(["agent", "builds", "-o", "json", "--coordinator", coordinator.url],
                                    environment: coordinator.adminEnvironment)
        #expect(listed.code == 0, "\(listed.stderr)")
        return try WireCoding.decode([AgentBuildView].self, from: Data(listed.stdout.utf8))
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    @Test func keygenPublishListAssignAndDownloadWithRange() async throws {
        let coordinator = try await TestCoordinator.start()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = coordinator.adminEnvironment
        let url = ["--coordinator", coordinator.url]

        let keyPath = dir.appendingPathComponent("signing.key").path
        let keygen = await fleetctl(["agent", "keygen", "--out", keyPath], environment: env)
        #expect(keygen.code == 0, "\(keygen.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let again = await fleetctl(["agent", "keygen", "--out", keyPath], environment: env)
        #expect(again.code == 1 && again.stderr.contains("never overwrites"), "\(again.stderr)")
        let publicKey = try Curve25519.Signing.PublicKey(
            rawRepresentation: try #require(Data(base64Encoded: keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines))))

        // More than one upload chunk (256 KiB), so the streaming path runs.
        let (path, data) = try Self.binary(dir, "fleet-agent", count: 700_001)
        let published = await fleetctl(["agent", "publish", path, "--version", "0.2.0", "--arch", "aarch64",
                                        "--signing-key", keyPath] + url, environment: env)
        #expect(published.code == 0, "\(published.stderr)")
        #expect(published.stdout.contains("published agent 0.2.0 for arm64"), "\(published.stdout)")

        var listed = try await Self.builds(coordinator)
        let view = try #require(listed.first)
        #expect(listed.count == 1)
        #expect(view.build == AgentBuild(version: "0.2.0", arch: "arm64", sha256: Self.sha256(data), size: 700_001,
                                         signature: view.build.signature))
        #expect(view.wantedBy == 0)
        let signature = try #require(view.build.signature.flatMap { Data(base64Encoded: $0) })
        #expect(publicKey.isValidSignature(signature, for: Data(view.build.signedStatement.utf8)))
        var moved = view.build
        moved.version = "0.2.1"
        #expect(!publicKey.isValidSignature(signature, for: Data(moved.signedStatement.utf8)))

        // Only the node that names the version gets an agent target.
        try await coordinator.apply(TestInventory.fleet.replacingOccurrences(
            of: "recordingpi: {site: auklab}", with: "recordingpi: {site: auklab, agentVersion: 0.2.0}"))
        let assignments = try await coordinator.withClient(token: coordinator.adminToken) { client in
            try await client.call(Endpoints.assignments)
        }
        let targets = Dictionary(uniqueKeysWithValues: assignments.map { ($0.node, $0.agent) })
        #expect(targets["recordingpi"] == .some(AgentTarget(version: "0.2.0", builds: [view.build])))
        #expect(targets["emsn-zolder"] == .some(nil) && targets["emsn-berging"] == .some(nil))
        listed = try await Self.builds(coordinator)
        #expect(listed.first?.wantedBy == 1)
        let alias = await fleetctl(["get", "agent-builds", "0.2.0"] + url, environment: env)
        #expect(alias.code == 0 && alias.stdout.contains("0.2.0") && alias.stdout.contains(String(view.build.sha256.prefix(12))),
                "\(alias.stdout)\(alias.stderr)")
        let none = await fleetctl(["get", "agent-builds", "9.9.9"] + url, environment: env)
        #expect(none.code == 0 && none.stdout.isEmpty && none.stderr.contains("No agent-builds found."), "\(none.stderr)")

        let pi = try await coordinator.registerNode("recordingpi")
        let zolder = try await coordinator.registerNode("emsn-zolder")
        let download = Endpoints.agentBuildDownload.path("recordingpi", "0.2.0", "arm64")

        let whole = try await Self.rawGet(coordinator, download, token: pi)
        #expect(whole.status == 200)
        #expect(whole.headers["Content-Length"] == ["700001"])
        #expect(whole.headers.first(name: "ETag") == "\"\(Self.sha256(data))\"")
        #expect(whole.body == data)

        let start = 350_007
        let rest = try await Self.rawGet(coordinator, download, token: pi, range: "bytes=\(start)-")
        #expect(rest.status == 206)
        #expect(rest.headers.first(name: "Content-Range") == "bytes \(start)-700000/700001")
        #expect(rest.headers["Content-Length"] == [String(700_001 - start)])
        #expect(rest.body == data.subdata(in: start..<data.count))

        let past = try await Self.rawGet(coordinator, download, token: pi, range: "bytes=700001-")
        #expect(past.status == 416)
        #expect(past.headers.first(name: "Content-Range") == "bytes */700001")
        #expect((try? WireCoding.decode(ErrorEnvelope.self, from: past.body)) != nil)

        // Another node's token, a node whose assignment wants no version, a version not wanted.
        let other = try await Self.rawGet(coordinator, download, token: zolder)
        #expect(other.status == 403)
        let own = try await Self.rawGet(coordinator, Endpoints.agentBuildDownload.path("emsn-zolder", "0.2.0", "arm64"),
                                        token: zolder)
        #expect(own.status == 403)
        let envelope = try WireCoding.decode(ErrorEnvelope.self, from: own.body)
        #expect(envelope.error.message.contains("does not want agent build 0.2.0/arm64"), "\(envelope.error.message)")
        let notWanted = try await Self.rawGet(coordinator, Endpoints.agentBuildDownload.path("recordingpi", "0.3.0", "arm64"),
                                              token: pi)
        #expect(notWanted.status == 403)
        await coordinator.stop()
    }

    @Test func republishingIsANoOpAndOtherBytesConflict() async throws {
        let coordinator = try await TestCoordinator.start()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["--coordinator", coordinator.url, "--version", "1.0.0", "--arch", "x86_64"]
        let (first, _) = try Self.binary(dir, "a", count: 5_000)
        let (second, _) = try Self.binary(dir, "b", count: 5_000)
        let created = await fleetctl(["agent", "publish", first] + args, environment: coordinator.adminEnvironment)
        #expect(created.code == 0 && created.stdout.hasPrefix("published"), "\(created.stdout)\(created.stderr)")
        let same = await fleetctl(["agent", "publish", first] + args, environment: coordinator.adminEnvironment)
        #expect(same.code == 0 && same.stdout.contains("already published with these bytes"), "\(same.stdout)\(same.stderr)")
        let other = await fleetctl(["agent", "publish", second] + args, environment: coordinator.adminEnvironment)
        #expect(other.code == 1)
        #expect(other.stderr.contains("immutable"), "\(other.stderr)")
        let digest = Self.sha256(try Data(contentsOf: URL(fileURLWithPath: second)))
        let conflict: (any Error)? = await {
            do {
                _ = try await coordinator.withClient(token: coordinator.adminToken) { client in
                    try await client.upload("/v1/agent/builds/1.0.0/x86_64?sha256=\(digest)", file: second, size: 5_000,
                                            timeoutSeconds: 20)
                }
                return nil
            } catch {
                return error
            }
        }()
        if case .rejected(let status, let code, _, _)? = conflict as? FleetctlError {
            #expect(status == 409 && code == ErrorCode.conflict)
        } else {
            Issue.record("expected a 409, got \(String(describing: conflict))")
        }
        #expect(try await Self.builds(coordinator).map(\.build.version) == ["1.0.0"])
        await coordinator.stop()
    }

    @Test func uploadsOverTheLimitAre413AndLeaveNothingBehind() async throws {
        let coordinator = try await TestCoordinator.start(agentBuildMaxBytes: 64 * 1024)
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, data) = try Self.binary(dir, "big", count: 100_000)
        let refused = await fleetctl(["agent", "publish", path, "--version", "2.0", "--coordinator", coordinator.url],
                                     environment: coordinator.adminEnvironment)
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("over the 64 KiB limit"), "\(refused.stderr)")

        // Without Content-Length the limit ends the streamed body.
        var request = HTTPClientRequest(url: coordinator.url + "/v1/agent/builds/2.0/arm64?sha256=\(Self.sha256(data))")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(coordinator.adminToken)")
        request.body = .stream(FileChunks(path: path, chunkSize: 16 * 1024), length: .unknown)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let status: Int? = await {
            do { return Int(try await client.execute(request, timeout: .seconds(20)).status.code) } catch { return nil }
        }()
        try await client.shutdown()
        // The coordinator answers 413 while the client may still be sending; either way nothing is stored.
        if let status { #expect(status == 413) }
        let incoming = coordinator.dataDir.appendingPathComponent("agent-builds/.incoming").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: incoming).isEmpty)
        #expect(try await Self.builds(coordinator).isEmpty)
        await coordinator.stop()
    }

    @Test func applyNamingAnUnpublishedVersionIsRefusedWithItsPosition() async throws {
        let coordinator = try await TestCoordinator.start()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = TestInventory.fleet.replacingOccurrences(of: "emsn: {labels: {region: nl}}",
                                                            with: "emsn: {labels: {region: nl}, agentVersion: 9.9.9}")
        let lines = yaml.components(separatedBy: "\n")
        let lineIndex = try #require(lines.firstIndex { $0.contains("agentVersion") })
        let column = try #require(lines[lineIndex].range(of: "9.9.9")).lowerBound.utf16Offset(in: lines[lineIndex]) + 1
        let file = dir.appendingPathComponent("fleet.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let refused = await fleetctl(["apply", "-f", file.path, "--coordinator", coordinator.url],
                                     environment: coordinator.adminEnvironment)
        #expect(refused.code == 1)
        #expect(refused.stderr.contains(":\(lineIndex + 1):\(column): agentVersion 9.9.9 has no published agent build"),
                "\(refused.stderr)")
        #expect(refused.stderr.contains("fleetctl agent publish BINARY --version 9.9.9"), "\(refused.stderr)")
        let revisions = try await coordinator.withClient(token: coordinator.adminToken) { try await $0.call(Endpoints.revisions) }
        #expect(revisions.isEmpty)
        await coordinator.stop()
    }
}
