/// `POST /v1/register` with the join token: a node announces itself.
public struct RegistrationRequest: Codable, Sendable, Equatable {
    public var name: String
    public var agentVersion: String
    public var protocolVersion: Int
    public var hostname: String?

    public init(name: String, agentVersion: String, protocolVersion: Int = FleetVersion.protocolVersion, hostname: String? = nil) {
        self.name = name
        self.agentVersion = agentVersion
        self.protocolVersion = protocolVersion
        self.hostname = hostname
    }
}

/// The answer to a registration: the node's own credential, shown once.
public struct RegistrationResponse: Codable, Sendable, Equatable {
    public var name: String
    /// Bearer token for this node only. The coordinator keeps only its hash.
    public var nodeToken: String
    public var heartbeatSeconds: Int

    public init(name: String, nodeToken: String, heartbeatSeconds: Int) {
        self.name = name
        self.nodeToken = nodeToken
        self.heartbeatSeconds = heartbeatSeconds
    }
}
