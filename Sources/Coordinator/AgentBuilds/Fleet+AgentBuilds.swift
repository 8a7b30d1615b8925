import FleetProtocol
import Foundation

extension Fleet {
    /// The agent target of what `node` is served now (during a rollout: its held assignment).
    func servedAgentTarget(node: String) -> AgentTarget? {
        book.served(node)?.agent
    }

    /// How many nodes are served an assignment that wants each agent version.
    func agentVersionDemand() -> [String: Int] {
        var demand: [String: Int] = [:]
        for assignment in book.servedAssignments.values {
            if let version = assignment.agent?.version { demand[version, default: 0] += 1 }
        }
        return demand
    }

    /// The published builds as `GET /v1/agent/builds` lists them.
    func agentBuildViews() async -> [AgentBuildView] {
        let demand = agentVersionDemand()
        return await (agentBuilds?.all() ?? []).map { stored in
            AgentBuildView(build: stored.build, publishedAt: stored.publishedAt, publishedBy: stored.publishedBy,
                           wantedBy: demand[stored.build.version] ?? 0)
        }
    }
}
