import AsyncHTTPClient
import FleetProtocol
import Foundation
import Testing

/// One node's credential reaches only that node's data; registration and reports are
/// bounded; a stray node can be deleted and the join token rotated. A real coordinator
/// process on loopback, raw HTTP as an attacker would send it.
@Suite(.serialized) struct ContainmentTests {
    func register(_ fleet: TestFleet, _ name: String) async throws -> String {
        let body = try WireCoding.encode(RegistrationRequest(name: name, agentVersion: "test"))
        let (status, data) = try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: body)
        #expect(status == 201, "\(name): \(String(decoding: data, as: UTF8.self))")
        return try WireCoding.decode(RegistrationResponse.self, from: data).nodeToken
    }

    @Test func aNodeCannotWriteAnotherNodesStation() async throws {
        try await withFleet("contain") { fleet in
            try await fleet.startCoordinator()
            let inventory = try fleet.renderInventory("fleet.yaml")
            #expect(try await fleet.fleetctl(["apply", "-f", inventory]).status == 0)
            let emsn = try await register(fleet, "emsn-zolder")
            let start = Date()
            // emsn-zolder forges a segment and an event for ROST1, which recordingpi records.
            let forged = StatusReport(
                agentVersion: "test", uptimeSeconds: 1, appliedRevision: 1,
                events: [AgentEvent(id: "forged-event", kind: "recorder.restarted", station: "ROST1", message: "x")],
                segments: [SegmentRecord(station: "ROST1", name: "ROST1_20260101T000000.mkv", start: start, durationSeconds: 600,
                                         bytes: 1, valid: true, archivePath: "/evil", sha256: "00")])
            let answer = try await fleet.request(.POST, APIPath.heartbeat("emsn-zolder"), token: emsn, body: try WireCoding.encode(forged))
            #expect(answer.0 == 200)  // the node learns nothing; the items are dropped and counted
            let recordings = try await fleet.get(RecordingsView.self, APIPath.recordings("ROST1"))
            #expect(recordings.segments.isEmpty)
            let station = try await fleet.get(StationView.self, APIPath.station("ROST1"))
            #expect(station.recentEvents?.contains { $0.id == "forged-event" } != true)
            let metrics = try await fleet.request(.GET, APIPath.metrics, token: nil)
            #expect(String(decoding: metrics.1, as: UTF8.self).contains("stationfleet_report_items_dropped_total"))
        }
    }

    @Test func reportsAndRegistrationsAreBounded() async throws {
        try await withFleet("bounded") { fleet in
            try await fleet.startCoordinator()
            let token = try await register(fleet, "pa")

            // Absurd numbers: 400 with the field named, nothing stored.
            let absurd = Data(#"{"agentVersion":"t","uptimeSeconds":-1e308,"appliedRevision":-5}"#.utf8)
            let refused = try await fleet.request(.POST, APIPath.heartbeat("pa"), token: token, body: absurd)
            #expect(refused.0 == 400)
            #expect(try WireCoding.decode(ErrorEnvelope.self, from: refused.1).error.message.contains("uptimeSeconds"))

            // Many large events: refused whole, not stored.
            let flood = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0,
                                     events: (0..<50).map { AgentEvent(id: "f\($0)", kind: "k", message: String(repeating: "x", count: 20_000)) })
            let flooded = try await fleet.request(.POST, APIPath.heartbeat("pa"), token: token, body: try WireCoding.encode(flood))
            #expect(flooded.0 == 400)
            #expect(try WireCoding.decode(ErrorEnvelope.self, from: flooded.1).error.message.contains("at most 2048"))

            // Registration: the inventory's name rules, names unique ignoring case.
            for bad in ["pa.", "_", "-pa"] {
                let body = try WireCoding.encode(RegistrationRequest(name: bad, agentVersion: "t"))
                #expect(try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: body).0 == 400, "\(bad)")
            }
            let upper = try WireCoding.encode(RegistrationRequest(name: "PA", agentVersion: "t"))
            #expect(try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: upper).0 == 409)

            // A burst of registrations is slowed down with 429 and Retry-After.
            var limited: HTTPClientResponse?
            for index in 0..<60 {
                var request = HTTPClientRequest(url: fleet.url + APIPath.register)
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(fleet.joinToken)")
                request.body = .bytes(try WireCoding.encode(RegistrationRequest(name: "burst\(index)", agentVersion: "t")))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 20)
                if response.status.code == 429 { limited = response; break }
            }
            #expect(limited != nil)
            #expect(Int(limited?.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
        }
    }

    @Test func strayNodesGoAndTheJoinTokenRotates() async throws {
        try await withFleet("stray") { fleet in
            try await fleet.startCoordinator()
            _ = try await register(fleet, "stray-pi")
            let deleted = try await fleet.fleetctl(["node", "delete", "stray-pi"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            #expect(try await fleet.nodes()["stray-pi"] == nil)
            #expect(try await fleet.fleetctl(["node", "delete", "stray-pi"]).status == 1)

            let oldJoin = fleet.joinToken
            let rotated = try await fleet.fleetctl(["token", "rotate", "join", "--expires-in", "1h", "-o", "json"])
            #expect(rotated.status == 0, "\(rotated.stderr)")
            let answer = try WireCoding.decode(RotatedJoinToken.self, from: Data(rotated.stdout.utf8))
            #expect(answer.expiresAt != nil)
            #expect(fleet.joinToken == answer.token)  // the file on disk holds the new token
            let body = try WireCoding.encode(RegistrationRequest(name: "new-pi", agentVersion: "t"))
            #expect(try await fleet.request(.POST, APIPath.register, token: oldJoin, body: body).0 == 401)
            #expect(try await fleet.request(.POST, APIPath.register, token: answer.token, body: body).0 == 201)
            #expect(try await fleet.fleetctl(["token", "rotate", "admin"]).status == 2)
        }
    }
}
