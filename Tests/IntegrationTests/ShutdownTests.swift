import FleetProtocol
import Foundation
import Testing

@Suite(.serialized) struct ShutdownTests {
    /// SIGTERM with a long-poll parked: the watch is released and the process exits 0 well within 10 s.
    @Test func coordinatorStopsCleanlyWithParkedWatches() async throws {
        try await withFleet("shutdown") { fleet in
            try await fleet.startCoordinator()
            let body = try WireCoding.encode(RegistrationRequest(name: "pi", agentVersion: "t"))
            let (_, data) = try await fleet.request(.POST, APIPath.register, token: fleet.joinToken, body: body)
            let token = try WireCoding.decode(RegistrationResponse.self, from: data).nodeToken
            let watch = Task { try await fleet.request(.GET, APIPath.watch("pi") + "?revision=0&timeout=30", token: token) }
            let parked = await waitUntil(timeout: .seconds(5)) {
                let metrics = (try? await fleet.request(.GET, APIPath.metrics, token: nil).1) ?? Data()
                return String(decoding: metrics, as: UTF8.self).contains("stationfleet_open_watches 1")
            }
            #expect(parked)
            let began = ContinuousClock.now
            let status = await fleet.coordinator?.stop(signal: SIGTERM, timeout: .seconds(10))
            #expect(status == 0, "\(fleet.logs)")
            #expect(ContinuousClock.now - began < .seconds(10))
            let answer = try? await watch.value
            #expect(answer?.0 == 200 || answer == nil)
        }
    }
}
