import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// `agentVersion:` under defaults, a site and a node, compiled against the published builds.
@Suite struct AgentVersionTests {
    static let yaml = """
        sites:
          a: {agentVersion: 0.3.0}
          b: {}
        defaults:
          agentVersion: 0.2.0
        nodes:
          pi1: {site: a}
          pi2: {site: a, agentVersion: 0.2.0}
          pi3: {site: b}
        """

    static let builds = [
        AgentBuild(version: "0.2.0", arch: "x86_64", sha256: String(repeating: "b", count: 64), size: 2),
        AgentBuild(version: "0.2.0", arch: "arm64", sha256: String(repeating: "a", count: 64), size: 1),
        AgentBuild(version: "0.3.0", arch: "arm64", sha256: String(repeating: "c", count: 64), size: 3),
    ]

    @Test func nodeBeatsSiteBeatsDefaultsAndBuildsAreSortedByArch() throws {
        let state = try loadOne(Self.yaml).compile(agentBuilds: Self.builds)
        let sorted020 = [Self.builds[1], Self.builds[0]]
        #expect(state.assignments["pi1"]?.agent == AgentTarget(version: "0.3.0", builds: [Self.builds[2]]))
        #expect(state.assignments["pi2"]?.agent == AgentTarget(version: "0.2.0", builds: sorted020))
        #expect(state.assignments["pi3"]?.agent == AgentTarget(version: "0.2.0", builds: sorted020))
        // Without agent builds (offline validation) nothing refuses and no target is set.
        #expect(try loadOne(Self.yaml).compile().assignments["pi1"]?.agent == nil)
    }

    @Test func anUnpublishedVersionIsRefusedAtEachPlaceItIsWritten() throws {
        let inventory = try loadOne(Self.yaml)
        do {
            _ = try inventory.compile(agentBuilds: [Self.builds[2]])
            Issue.record("compiled although 0.2.0 is not published")
        } catch {
            let lines = error.diagnostics.map(\.description)
            #expect(lines == [
                "fleet.yaml:5:17: agentVersion 0.2.0 has no published agent build (published: 0.3.0); publish it first with `fleetctl agent publish BINARY --version 0.2.0`",
                "fleet.yaml:8:32: agentVersion 0.2.0 has no published agent build (published: 0.3.0); publish it first with `fleetctl agent publish BINARY --version 0.2.0`",
            ])
        }
        // Comparing stored revisions compiles it with no builds instead.
        let lenient = try inventory.compile(agentBuilds: [], requirePublished: false)
        #expect(lenient.assignments["pi3"]?.agent == AgentTarget(version: "0.2.0", builds: []))
    }

    @Test func aBadVersionIsAPositionedError() {
        let list = diagnostics("""
            sites: {a: {}}
            nodes:
              pi1: {site: a, agentVersion: "0.2 beta"}
            """)
        #expect(at(3, 32, in: list)?.message.hasPrefix("bad agentVersion '0.2 beta'") == true, "\(list)")
    }

    @Test func changingASitesVersionChangesOnlyItsNodesAssignments() throws {
        let old = try loadOne(Self.yaml).compile(agentBuilds: Self.builds)
        let new = try loadOne(Self.yaml.replacingOccurrences(of: "a: {agentVersion: 0.3.0}", with: "a: {agentVersion: 0.2.0}"))
            .compile(agentBuilds: Self.builds)
        #expect(DesiredState.changedAssignments(old: old, new: new) == ["pi1"])
    }
}
