@testable import FleetAgent
import Testing

/// Agents given the same coordinator list start on different coordinators, stably.
@Suite struct CoordinatorSpreadTests {
    @Test func theFirstCoordinatorTriedIsStableAndSpread() {
        #expect(CoordinatorClient.firstIndex(for: "recordingpi", count: 1) == 0)
        #expect(CoordinatorClient.firstIndex(for: "recordingpi", count: 3) == CoordinatorClient.firstIndex(for: "recordingpi", count: 3))
        var counts = [0, 0, 0]
        for i in 0..<3_000 { counts[CoordinatorClient.firstIndex(for: "pi-\(i)", count: 3)] += 1 }
        // Each coordinator gets roughly a third (a fixed hash: the same numbers on every run).
        #expect(counts.allSatisfy { (800...1_200).contains($0) }, "\(counts)")
    }
}
