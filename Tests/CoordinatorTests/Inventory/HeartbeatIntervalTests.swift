import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// `heartbeatSeconds:` under defaults, a site and a node: a station on a metered link reports
/// less often than the rest of the fleet.
@Suite struct HeartbeatIntervalTests {
    @Test func nodeBeatsSiteBeatsDefaults() throws {
        let state = try loadOne("""
            sites:
              island: {heartbeatSeconds: 60}
              mainland: {}
            defaults:
              heartbeatSeconds: 15
            nodes:
              pi1: {site: island}
              pi2: {site: island, heartbeatSeconds: 300}
              pi3: {site: mainland}
            """).compile()
        #expect(state.assignments["pi1"]?.heartbeatSeconds == 60)
        #expect(state.assignments["pi2"]?.heartbeatSeconds == 300)
        #expect(state.assignments["pi3"]?.heartbeatSeconds == 15)
    }

    @Test func outOfRangeIsRefusedWhereItIsWritten() {
        let found = diagnostics("""
            sites:
              island: {heartbeatSeconds: 0}
            nodes:
              pi1: {site: island, heartbeatSeconds: 7200}
            """)
        #expect(found.count == 2, "\(found)")
        #expect(found.allSatisfy { $0.message.contains("heartbeatSeconds") })
        #expect(Set(found.map(\.line)) == [2, 4])
    }
}
