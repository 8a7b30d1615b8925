// `GET /v1/coordinators` and `fleetctl get coordinators` against the real coordinator, with a
// second coordinator instance (a Leadership on the same SQLite file) as follower.
import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing
@testable import FleetctlCore

@Suite(.timeLimit(.minutes(1)))
struct CoordinatorsCommandTests {
    @Test func getCoordinatorsListsTheInstancesAndMarksTheLeader() async throws {
        let coordinator = try await TestCoordinator.start()
        var logger = Logger(label: "follower")
        logger.logLevel = .error
        let follower = Leadership(store: try SQLiteFleetStore(path: coordinator.dataDir.appendingPathComponent("coordinator.sqlite").path),
                                  url: "http://127.0.0.1:9", logger: logger, instanceID: "f0110we5-0000-4000-8000-000000000000",
                                  hostname: "standby-host", version: "9.9.9")
        await follower.start()
        do {
            #expect(await follower.term == nil, "the serving coordinator holds the lease")

            // The HTTP contract: admin only, both instances, exactly one leader with its term.
            let unauthorized = await fleetctl(["get", "coordinators", "--coordinator", coordinator.url],
                                              environment: ["FLEET_TOKEN": "wrong"])
            #expect(unauthorized.code != 0)
            let views = try await coordinator.withClient(token: coordinator.adminToken) { client in
                try await client.call(Endpoints.coordinators)
            }
            #expect(views.count == 2)
            let leader = try #require(views.first { $0.leader })
            #expect(leader.url == coordinator.url, "the serving instance advertises the URL it listens on")
            #expect(leader.version == FleetVersion.current)
            #expect(leader.term == 1)
            let standby = try #require(views.first { $0.id.hasPrefix("f0110we5") })
            #expect(!standby.leader)
            #expect(standby.term == nil)
            #expect(standby.hostname == "standby-host")

            // The table.
            let table = await fleetctl(["get", "coordinators", "--coordinator", coordinator.url],
                                       environment: coordinator.adminEnvironment)
            #expect(table.code == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true)
                        == ["NAME/ID", "VERSION", "URL", "LAST", "SEEN", "LEADER"])
            let leaderLine = try #require(lines.first { $0.contains(coordinator.url) })
            #expect(leaderLine.contains("\(leader.hostname)/\(leader.id.prefix(8))"))
            #expect(leaderLine.contains("yes (term 1)"))
            #expect(leaderLine.contains(" ago"))
            let standbyLine = try #require(lines.first { $0.contains("standby-host/f0110we5") })
            #expect(standbyLine.contains("9.9.9"))
            #expect(!standbyLine.contains("yes"))

            // -o json, and NAME picks one instance.
            let json = await fleetctl(["get", "coordinators", "standby-host", "-o", "json", "--coordinator", coordinator.url],
                                      environment: coordinator.adminEnvironment)
            #expect(json.code == 0, "\(json.stderr)")
            let decoded = try WireCoding.decode([CoordinatorView].self, from: Data(json.stdout.utf8))
            #expect(decoded.map(\.id) == [standby.id])
            #expect(decoded.first?.leader == false)
            let missing = await fleetctl(["get", "coordinators", "nosuchhost", "--coordinator", coordinator.url],
                                         environment: coordinator.adminEnvironment)
            #expect(missing.code != 0)
            #expect(missing.stderr.contains("coordinator nosuchhost"))
        }
        await follower.stop(release: true)
        await coordinator.stop()
    }
}
