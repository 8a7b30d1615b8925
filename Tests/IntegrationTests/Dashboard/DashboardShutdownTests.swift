import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore
import Testing

/// An open dashboard event stream does not hold up the coordinator's graceful stop.
@Suite(.serialized) struct DashboardShutdownTests {
    @Test func anOpenEventStreamEndsWhenTheCoordinatorStops() async throws {
        try await withFleet("dashboard-shutdown") { fleet in
            try await fleet.startCoordinator()
            var request = HTTPClientRequest(url: fleet.url + Endpoints.events.template)
            request.headers.add(name: "Authorization", value: "Bearer \(fleet.adminToken)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
            let reader = Task { try? await response.body.collect(upTo: 1 << 20) }
            let started = ContinuousClock.now
            let status = await fleet.coordinator?.stop(signal: SIGTERM, timeout: .seconds(20))
            #expect(status == 0, "coordinator exit status \(String(describing: status))\n\(fleet.logs.suffix(3000))")
            #expect(ContinuousClock.now - started < .seconds(20))
            let body = await reader.value.map { String(buffer: $0) } ?? ""
            #expect(body.hasPrefix("retry: 2000"), "\(body)")
        }
    }
}
