import FleetProtocol
import Foundation

/// The outcome of checking a node token against the node a request names.
public enum NodeAuthorization: Sendable, Equatable {
    case allowed
    /// A valid token of another node.
    case otherNode
    case invalid
}

extension Fleet {
    /// Registers a node under `request.name` and returns its new credential.
    /// A name that already holds a credential is refused until an admin resets it.
    public func register(_ request: RegistrationRequest) async throws -> RegistrationResponse {
        guard NodeName.isValid(request.name) else {
            throw FleetError.badRequest("invalid node name \"\(request.name)\": use 1–63 letters, digits, '-', '_' or '.'")
        }
        guard request.protocolVersion == FleetVersion.protocolVersion else {
            throw FleetError.badRequest("protocol version \(request.protocolVersion) is not supported; this coordinator speaks \(FleetVersion.protocolVersion)")
        }
        let conflict = FleetError.conflict(
            "node \(request.name) is already registered; run `fleetctl node reset \(request.name)` to let it register again")
        guard tokenHashByNode[request.name] == nil else { throw conflict }
        let token = Tokens.generate(prefix: "sfn_")
        let hash = Tokens.hash(token)
        let now = Date()
        guard try await store.insertCredential(NodeCredential(name: request.name, tokenHash: hash, registeredAt: now)) else {
            throw conflict
        }
        tokenHashByNode[request.name] = hash
        nodeByTokenHash[hash] = request.name
        let previous = live[request.name]
        live[request.name] = NodeLiveness(
            lastHeartbeat: now, agentVersion: request.agentVersion, appliedRevision: previous?.appliedRevision ?? 0,
            report: previous?.report ?? StatusReport(agentVersion: request.agentVersion, uptimeSeconds: 0, appliedRevision: 0),
            state: .online)
        dirtySnapshots.insert(request.name)
        metrics.registrations.increment()
        logger.info("node registered", metadata: ["node": "\(request.name)", "agentVersion": "\(request.agentVersion)",
                                                  "inInventory": "\(assignments[request.name] != nil)"])
        return RegistrationResponse(name: request.name, nodeToken: token, heartbeatSeconds: heartbeatSeconds(of: request.name))
    }

    /// Checks a bearer token against the node named in the request path.
    public func authorize(nodeToken token: String, for node: String) -> NodeAuthorization {
        let hash = Tokens.hash(token)
        guard let owner = nodeByTokenHash[hash], let expected = tokenHashByNode[owner],
              Tokens.constantTimeEquals(expected, hash) else { return .invalid }
        return owner == node ? .allowed : .otherNode
    }

    /// Revokes a node's credential so that it (or its replacement) may register again.
    public func resetNode(_ name: String) async throws {
        guard tokenHashByNode[name] != nil || assignments[name] != nil || live[name] != nil else {
            throw FleetError.notFound(kind: "node", name: name)
        }
        _ = try await store.deleteCredential(node: name)
        if let hash = tokenHashByNode.removeValue(forKey: name) { nodeByTokenHash[hash] = nil }
        wakeWatchers(node: name)
        logger.notice("node credential revoked", metadata: ["node": "\(name)"])
    }

    /// Takes a node's report: durable items are stored before the answer, liveness in memory.
    public func heartbeat(node: String, report: StatusReport) async throws -> StatusAck {
        try await store.recordEvents(report.events, node: node)
        try await store.recordSegments(report.segments, node: node)
        try await store.recordJobRuns(report.jobRuns, node: node)
        for result in report.commandResults { try await complete(result, node: node) }

        var standing = report
        standing.events = []
        standing.segments = []
        standing.jobRuns = []
        standing.commandResults = []
        let wasOffline = live[node]?.state == .offline
        live[node] = NodeLiveness(lastHeartbeat: Date(), agentVersion: report.agentVersion,
                                  appliedRevision: report.appliedRevision, report: standing, state: .online)
        dirtySnapshots.insert(node)
        metrics.heartbeats.increment()
        if wasOffline { logger.notice("node back online", metadata: ["node": "\(node)"]) }
        return StatusAck(heartbeatSeconds: heartbeatSeconds(of: node), desiredRevision: assignments[node]?.revision ?? 0)
    }
}
