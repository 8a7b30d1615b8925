import FleetCoordinator
import FleetInventory
import Foundation
import Testing

/// The `rollout:` block: parsed under defaults and sites, validated with positions.
@Suite struct RolloutInventoryTests {
    @Test func parsesDefaultsAndSiteOverride() throws {
        let yaml = """
            sites:
              a: {}
              b: {rollout: {canary: 0, maxParallel: 5, minHealthyTime: 10s, healthyDeadline: 1m, progressDeadline: 5m}}
            defaults:
              rollout: {canary: 1, maxParallel: 2, minHealthyTime: 2m, healthyDeadline: 10m, progressDeadline: 1h, autoRevert: true, autoPromote: false}
            """
        let inventory = try loadOne(yaml)
        #expect(inventory.defaults.rollout == RolloutStrategy(canary: 1, maxParallel: 2, minHealthyTimeSeconds: 120,
                                                              healthyDeadlineSeconds: 600, progressDeadlineSeconds: 3_600,
                                                              autoRevert: true, autoPromote: false))
        #expect(inventory.sites["b"]?.rollout?.maxParallel == 5)
        #expect(inventory.sites["a"]?.rollout == nil)
    }

    @Test func withoutRolloutBlockNothingChanges() throws {
        let inventory = try loadOne("sites: {a: {}}\n")
        #expect(inventory.defaults.rollout == nil)
        #expect(inventory.compile().defaults == InventoryDefaults())
    }

    @Test func orderOfDeadlinesAndAutoPromoteArePositioned() {
        let yaml = """
            sites:
              a:
                rollout: {minHealthyTime: 10m, healthyDeadline: 5m, progressDeadline: 1h}
            defaults:
              rollout:
                canary: 0
                healthyDeadline: 10m
                progressDeadline: 10m
                autoPromote: true
            """
        let found = diagnostics(yaml).map(\.description)
        #expect(found.contains("fleet.yaml:3:53: rollout of site 'a': minHealthyTime (600s) must be shorter than healthyDeadline (300s)"))
        #expect(found.contains("fleet.yaml:8:23: defaults.rollout: healthyDeadline (600s) must be shorter than progressDeadline (600s)"))
        #expect(found.contains("fleet.yaml:9:18: defaults.rollout: autoPromote needs canary of at least 1 (there is nothing to promote without canaries)"))
        #expect(found.count == 3)
    }

    @Test func badValuesArePositioned() {
        let found = diagnostics("defaults:\n  rollout: {canary: x, maxParallel: 0, bogus: 1}\n").map(\.description)
        #expect(found.contains { $0.hasPrefix("fleet.yaml:2:") && $0.contains("bogus") })
        #expect(found.contains { $0.hasPrefix("fleet.yaml:2:21:") && $0.contains("canary") })
    }
}
