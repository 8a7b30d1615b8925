// Timeouts, server errors and TLS against real sockets on 127.0.0.1: the real coordinator
// where it can show the behaviour, a MisbehavingServer for a hung or failing coordinator.
import FleetProtocol
import Foundation
import NIOCore
import NIOSSL
import Testing
@testable import FleetctlCore

@Suite(.serialized) struct TransportTests {
    @Test func slowCoordinatorTimesOutWithExit3() async throws {
        // Stub: a real coordinator never hangs on `GET /v1/nodes`.
        let server = try await MisbehavingServer.start(status: 200, body: "[]", delay: .seconds(5))
        defer { Task { await server.stop() } }
        let clock = ContinuousClock()
        let start = clock.now
        let run = await fleetctl(["get", "nodes", "--timeout", "0.5", "--coordinator", server.url])
        #expect(run.code == 3)
        #expect(run.stderr == "fleetctl: coordinator \(server.url) unreachable: no answer within 0.5s\n")
        #expect(clock.now - start < .seconds(3))
    }

    @Test func serverErrorExits3() async throws {
        // Stub: a real coordinator answers 500 only when its store fails.
        let server = try await MisbehavingServer.start(
            status: 500, body: #"{"error":{"code":"internal","message":"database is locked"}}"#)
        defer { Task { await server.stop() } }
        let run = await fleetctl(["get", "stations", "--coordinator", server.url])
        #expect(run.code == 3)
        #expect(run.stderr == "fleetctl: coordinator error (HTTP 500): database is locked\n")
    }

    /// A CA and a certificate for 127.0.0.1 signed by it, made with the openssl CLI.
    private func makeCertificates(in dir: URL) throws -> (ca: String, cert: String, key: String) {
        let ca = dir.appendingPathComponent("ca.pem").path, caKey = dir.appendingPathComponent("ca.key").path
        let cert = dir.appendingPathComponent("server.pem").path, key = dir.appendingPathComponent("server.key").path
        let csr = dir.appendingPathComponent("server.csr").path, ext = dir.appendingPathComponent("ext.cnf").path
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n".write(toFile: ext, atomically: true, encoding: .utf8)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2",
                     "-subj", "/CN=fleetctl test CA"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"])
        try openssl(["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert,
                     "-days", "2", "-extfile", ext])
        return (ca, cert, key)
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl \(arguments.first ?? "")")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func privateCAIsTrustedOnlyWithCAFile() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try makeCertificates(in: dir)
        let server = try await TestCoordinator.start(tlsCertificate: files.cert, tlsKey: files.key, caFile: files.ca)
        defer { Task { await server.stop() } }
        #expect(server.url.hasPrefix("https://127.0.0.1:"))
        try await server.apply(TestInventory.fleet)

        let trusted = await fleetctl(["get", "sites", "--coordinator", server.url, "--ca-file", files.ca],
                                     environment: server.adminEnvironment)
        #expect(trusted.code == 0, "\(trusted.stderr)")
        #expect(trusted.stdout.contains("region=gotland"))

        let untrusted = await fleetctl(["get", "sites", "--coordinator", server.url], environment: server.adminEnvironment)
        #expect(untrusted.code == 3)
        #expect(untrusted.stderr.hasPrefix("fleetctl: coordinator \(server.url) unreachable: TLS failure"))
        #expect(untrusted.stderr.split(separator: "\n").count == 1)

        let missingCA = await fleetctl(["get", "sites", "--coordinator", server.url, "--ca-file", dir.appendingPathComponent("none.pem").path])
        #expect(missingCA.code == 1)
        #expect(missingCA.stderr.hasPrefix("fleetctl: cannot read CA certificates from"))
    }

    @Test func httpsAgainstPlainHTTPServerIsATLSFailure() async throws {
        let server = try await TestCoordinator.start()
        defer { Task { await server.stop() } }
        let url = server.url.replacingOccurrences(of: "http://", with: "https://")
        let run = await fleetctl(["get", "nodes", "--coordinator", url])
        #expect(run.code == 3)
        #expect(run.stderr.hasPrefix("fleetctl: coordinator \(url) unreachable:"))
    }
}
