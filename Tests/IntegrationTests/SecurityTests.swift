import FleetProtocol
import Foundation
import Testing

/// Tokens and bad input against a real coordinator process on loopback.
@Suite(.serialized) struct SecurityTests {
    @Test func tokensAreCheckedPerEndpoint() async throws {
        try await withFleet("security") { fleet in
            try await fleet.startCoordinator()

            // Admin endpoints: missing → 401, wrong → 401, join token → 403, admin → 200.
            #expect(try await fleet.request(.GET, APIPath.nodes, token: nil).0 == 401)
            #expect(try await fleet.request(.GET, APIPath.nodes, token: "sfa_wrong").0 == 401)
            #expect(try await fleet.request(.GET, APIPath.nodes, token: fleet.joinToken).0 == 403)
            #expect(try await fleet.request(.GET, APIPath.nodes, token: fleet.adminToken).0 == 200)

            // Registration needs the join token.
            let registration = try WireCoding.encode(RegistrationRequest(name: "pi-a", agentVersion: "test"))
            #expect(try await fleet.request(.POST, APIPath.register, token: nil, body: registration).0 == 401)
            #expect(try await fleet.request(.POST, APIPath.register, token: fleet.adminToken, body: registration).0 == 403)
            let (status, body) = try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: registration)
            #expect(status == 201)
            let credential = try WireCoding.decode(RegistrationResponse.self, from: body)

            // A second registration of the same name cannot take over the identity.
            let (conflict, conflictBody) = try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: registration)
            #expect(conflict == 409)
            #expect(try WireCoding.decode(ErrorEnvelope.self, from: conflictBody).error.code == ErrorCode.conflict)

            // The node credential acts only for its own node, and not as admin.
            let other = try WireCoding.encode(RegistrationRequest(name: "pi-b", agentVersion: "test"))
            #expect(try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: other).0 == 201)
            let report = try WireCoding.encode(StatusReport(agentVersion: "test", uptimeSeconds: 1, appliedRevision: 0))
            #expect(try await fleet.request(.POST, APIPath.heartbeat("pi-a"), token: credential.nodeToken, body: report).0 == 200)
            #expect(try await fleet.request(.POST, APIPath.heartbeat("pi-b"), token: credential.nodeToken, body: report).0 == 403)
            #expect(try await fleet.request(.GET, APIPath.watch("pi-b") + "?timeout=0", token: credential.nodeToken).0 == 403)
            #expect(try await fleet.request(.POST, APIPath.heartbeat("pi-a"), token: "sfn_forged", body: report).0 == 401)
            #expect(try await fleet.request(.POST, APIPath.heartbeat("pi-a"), token: fleet.joinToken, body: report).0 == 403)
            #expect(try await fleet.request(.GET, APIPath.nodes, token: credential.nodeToken).0 == 403)

            // After an admin reset the name may register again, and the old credential is dead.
            let reset = try await fleet.fleetctl(["node", "reset", "pi-a"])
            #expect(reset.status == 0, "\(reset.stderr)")
            #expect(reset.stdout.contains("pi-a"))
            #expect(try await fleet.fleetctl(["node", "reset", "no-such-node"]).status == 1)
            #expect(try await fleet.request(.POST, APIPath.heartbeat("pi-a"), token: credential.nodeToken, body: report).0 == 401)
            #expect(try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: registration).0 == 201)

            // Token files are private.
            let attributes = try FileManager.default.attributesOfItem(atPath: fleet.dataDir + "/admin.token")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            // And their values never reach the log.
            let printed = (fleet.coordinator?.stdout ?? "") + (fleet.coordinator?.stderr ?? "")
            let adminToken = fleet.adminToken, joinToken = fleet.joinToken
            #expect(!adminToken.isEmpty && !printed.contains(adminToken))
            #expect(!joinToken.isEmpty && !printed.contains(joinToken))
        }
    }

    @Test func badInputGetsTheErrorEnvelope() async throws {
        try await withFleet("badinput") { fleet in
            try await fleet.startCoordinator()

            let malformed = try await fleet.request(.POST, APIPath.apply, token: fleet.adminToken, body: Data("{not json".utf8))
            #expect(malformed.0 == 400)
            #expect(try WireCoding.decode(ErrorEnvelope.self, from: malformed.1).error.code == ErrorCode.badRequest)

            let missingField = try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: Data("{}".utf8))
            #expect(missingField.0 == 400)

            let huge = Data(repeating: UInt8(ascii: "a"), count: 5 * 1024 * 1024)
            let tooLarge = try await fleet.request(.POST, APIPath.apply, token: fleet.adminToken, body: huge)
            #expect(tooLarge.0 == 413)

            let unknown = try await fleet.request(.GET, "/v1/no-such-thing", token: fleet.adminToken)
            #expect(unknown.0 == 404)
            #expect(try WireCoding.decode(ErrorEnvelope.self, from: unknown.1).error.code == ErrorCode.notFound)

            let badName = try WireCoding.encode(RegistrationRequest(name: "../etc", agentVersion: "x"))
            #expect(try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: badName).0 == 400)

            // Still alive and ready after all that.
            #expect(try await fleet.request(.GET, APIPath.readyz, token: nil).0 == 200)
            #expect(fleet.coordinator?.isRunning == true)
        }
    }

    @Test func plainHTTPIsRefusedOffLoopback() async throws {
        let outcome = try await runCommand(try binary("fleet-coordinator"),
                                           ["serve", "--listen", "0.0.0.0:0", "--data-dir", try makeScratchDir("plain")])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("refusing plain HTTP"))
    }
}
