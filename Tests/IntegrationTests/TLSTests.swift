import FleetProtocol
import Foundation
import Testing

/// TLS between agent and coordinator, with a private CA made by openssl for the test.
@Suite(.serialized) struct TLSTests {
    @Test func agentVerifiesTheCoordinatorWithAPrivateCA() async throws {
        try await withFleet("tls") { fleet in
            let ca = try await TestCA.make(in: fleet.dir)
            try await fleet.startCoordinator(extraArguments: ["--tls-cert", ca.serverCert, "--tls-key", ca.serverKey])
            #expect(fleet.url.hasPrefix("https://"))

            // Trusting the private CA: registers and heartbeats.
            try await fleet.startAgent("trusting", extraArguments: ["--ca-file", ca.caCert])
            // Not trusting it: refuses the connection and never registers.
            try await fleet.startAgent("untrusting")
            let registered = try await waitUntil(timeout: .seconds(15)) {
                try await fleet.nodes(caFile: ca.caCert)["trusting"]?.state == .online
            }
            #expect(registered, "\(fleet.logs)")
            let refused = await waitUntil(timeout: .seconds(10)) {
                fleet.agents["untrusting"]?.stderr.contains("coordinator call failed") == true
            }
            #expect(refused, "\(fleet.logs)")
            let untrusted = try await fleet.nodes(caFile: ca.caCert)["untrusting"]
            #expect(untrusted == nil)
        }
    }
}
