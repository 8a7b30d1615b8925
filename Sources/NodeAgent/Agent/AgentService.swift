import Logging
import ServiceLifecycle

/// Runs the agent inside a ServiceGroup: on SIGTERM its loops stop and its recorders
/// are stopped cleanly before the process exits.
public struct AgentService: Service {
    let agent: NodeAgent

    public init(agent: NodeAgent) { self.agent = agent }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await agent.run()
        }
    }
}
