import AsyncHTTPClient
import CompressNIO
import FleetProtocol
import Foundation
import NIOCore
import NIOSSL
import Testing

/// The agent ↔ coordinator wire made small (issue 14): HTTP/2 over TLS, delta heartbeats with
/// a full report after a coordinator restart, and gzip request bodies with a bound on inflating.
/// Real coordinator and agent processes on loopback, a private CA made by openssl.
@Suite(.serialized) struct WireBudgetTests {
    static let inventory = """
        sites: {s: {}}
        defaults: {heartbeatSeconds: 1}
        nodes: {deltapi: {site: s}}
        """

    @Test func http2DeltaHeartbeatsAndAFullReportAfterARestart() async throws {
        try await withFleet("wire-budget") { fleet in
            let ca = try await TestCA.make(in: fleet.dir)
            try await fleet.startCoordinator(extraArguments: ["--tls-cert", ca.serverCert, "--tls-key", ca.serverKey])
            let inventory = fleet.dir + "/wire.yaml"
            try Self.inventory.write(toFile: inventory, atomically: true, encoding: .utf8)
            let applied = try await fleet.fleetctl(["apply", "-f", inventory, "--ca-file", ca.caCert])
            #expect(applied.status == 0, "\(applied.stderr)")
            try await fleet.startAgent("deltapi", extraArguments: ["--ca-file", ca.caCert])

            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca.caCert))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            do {
                try await Self.check(fleet, ca: ca, client: client)
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    static func check(_ fleet: TestFleet, ca: TestCA, client: HTTPClient) async throws {
        // ALPN picks HTTP/2 (AsyncHTTPClient offers h2 and http/1.1).
        let health = try await client.execute(HTTPClientRequest(url: fleet.url + "/healthz"), timeout: .seconds(10))
        #expect(health.version == .http2)

        // After its first (full) report the agent sends deltas.
        let deltas = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(200)) {
            try await Self.metric("stationfleet_heartbeat_deltas_received_total", client: client, url: fleet.url) >= 2
        }
        #expect(deltas, "\(fleet.logs)")
        // An idle node's heartbeat is liveness alone: a bodiless request answered 204.
        let unchanged = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(200)) {
            try await Self.metric("stationfleet_heartbeats_unchanged_total", client: client, url: fleet.url) >= 2
        }
        #expect(unchanged, "\(fleet.logs)")

        // gzip bodies are taken; one that inflates past the 4 MiB limit is refused with 413.
        let dryRun = try WireCoding.encode(ApplyRequest(files: [.init(path: "wire.yaml", content: Self.inventory)], dryRun: true))
        let (accepted, _) = try await Self.post(gzip: dryRun, to: fleet.url + APIPath.apply, token: fleet.adminToken, client: client)
        #expect(accepted == 200)
        let bomb = Data(repeating: UInt8(ascii: " "), count: 8 * 1024 * 1024)
        let (refused, body) = try await Self.post(gzip: bomb, to: fleet.url + APIPath.apply, token: fleet.adminToken, client: client)
        #expect(refused == 413)
        #expect((try? WireCoding.decode(ErrorEnvelope.self, from: body))?.error.code == ErrorCode.payloadTooLarge)

        // A restarted coordinator holds no base: it refuses the next delta, gets a full report, then deltas again.
        await fleet.coordinator?.stop()
        try await fleet.restartCoordinator()
        let recovered = await waitUntil(timeout: .seconds(30), poll: .milliseconds(200)) {
            // The client's kept-alive connection died with the old instance: a failed poll counts as not yet.
            let refusedBases = (try? await Self.metric(#"stationfleet_reports_refused_total{reason="base"}"#, client: client, url: fleet.url)) ?? 0
            let deltas = (try? await Self.metric("stationfleet_heartbeat_deltas_received_total", client: client, url: fleet.url)) ?? 0
            return refusedBases >= 1 && deltas >= 1
        }
        #expect(recovered, "\(fleet.logs)")
        #expect(fleet.agents["deltapi"]?.stderr.contains("sending a full report") == true)
        let node = try await fleet.nodes(caFile: ca.caCert)["deltapi"]
        #expect(node?.state == .online)
    }

    /// A counter's value from the coordinator's `/metrics` (0 while it has none).
    static func metric(_ name: String, client: HTTPClient, url: String) async throws -> Double {
        let response = try await client.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 4 * 1024 * 1024))
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    static func post(gzip data: Data, to url: String, token: String, client: HTTPClient) async throws -> (Int, Data) {
        var plain = ByteBuffer(bytes: data)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.body = .bytes(try plain.compress(with: .gzip()))
        let response = try await client.execute(request, timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        return (Int(response.status.code), Data(body.readableBytesView))
    }
}
