import FleetProtocol
import Foundation

extension Fleet {
    /// Registers a node under `request.name` and returns its new credential.
    ///
    /// The name follows the inventory's rule and is unique ignoring case; a name that
    /// already holds a credential is refused until an admin resets it. With the
    /// `.inventory` policy only names the applied inventory lists may register.
    /// Registrations are rate-limited fleet-wide (429 with `Retry-After`).
    public func register(_ request: RegistrationRequest) async throws -> RegistrationResponse {
        let shown = String(request.name.prefix(80))
        guard ResourceName.isValid(request.name) else {
            throw FleetError.badRequest("invalid node name \"\(shown)\": use \(ResourceName.rule)")
        }
        guard request.protocolVersion == FleetVersion.protocolVersion else {
            throw FleetError.badRequest("protocol version \(request.protocolVersion) is not supported; this coordinator speaks \(FleetVersion.protocolVersion)")
        }
        guard request.agentVersion.utf8.count <= ReportLimits.maxNameLength else {
            throw FleetError.badRequest("agentVersion: \(request.agentVersion.utf8.count) bytes, at most \(ReportLimits.maxNameLength)")
        }
        if registration == .inventory, book.assignments[request.name] == nil {
            throw FleetError.forbidden("node \(request.name) is not in the inventory, and this coordinator accepts only inventory nodes (--registration inventory): add it to the inventory and apply first")
        }
        if let taken = registry.registeredName(matching: request.name), taken != request.name {
            throw FleetError.conflict("node name \(request.name) clashes with registered node \(taken): names are unique ignoring case")
        }
        let conflict = FleetError.conflict(
            "node \(request.name) is already registered; run `fleetctl node reset \(request.name)` to let it register again")
        guard !registry.isRegistered(request.name) else { throw conflict }
        if case .retryAfter(let seconds) = registrationLimiter.take(1, now: Date()) {
            metrics.reportRefused(reason: "registration-rate")
            throw FleetError.tooManyRequests("too many registrations; retry in \(seconds)s", retryAfterSeconds: seconds)
        }
        let token = Tokens.generate(prefix: "sfn_")
        let hash = Tokens.hash(token)
        let now = Date()
        guard try await store.insertCredential(NodeCredential(name: request.name, tokenHash: hash, registeredAt: now)) else {
            throw conflict
        }
        registry.add(name: request.name, tokenHash: hash)
        await announce(.credential(node: request.name))
        _ = tracker.heartbeat(node: request.name, at: now, intervalSeconds: heartbeatSeconds(of: request.name))
        observed.registered(node: request.name, agentVersion: request.agentVersion)
        metrics.registrations.increment()
        refreshNodeGauges()
        let inInventory = book.assignments[request.name] != nil
        logger.info("node registered", metadata: ["node": "\(request.name)", "agentVersion": "\(request.agentVersion)",
                                                  "inInventory": "\(inInventory)"])
        await recordTransitions([NodeTransition(
            node: request.name, kind: .registered, at: now,
            message: "registered with agent \(request.agentVersion)\(inInventory ? "" : " (not in the inventory)")")])
        return RegistrationResponse(name: request.name, nodeToken: token, heartbeatSeconds: heartbeatSeconds(of: request.name))
    }

    /// Checks a bearer token against the node named in the request path.
    ///
    /// A token the in-memory registry does not know is looked up in the store (one indexed
    /// query by its hash) before it is refused: it may have been registered through another
    /// coordinator on the same database whose notification has not arrived (or was lost).
    /// Found, it joins the registry. Misses are remembered for a second and lookups are
    /// rate-limited (``CredentialLookups``); beyond the limit the caller is told to retry
    /// (429), not refused. Store errors propagate (503), never as a 401.
    public func authorize(nodeToken token: String, for node: String) async throws -> NodeAuthorization {
        let local = registry.authorize(token: token, for: node)
        guard local == .invalid else { return local }
        let hash = Tokens.hash(token)
        switch credentialLookups.admit(tokenHash: hash, now: Date()) {
        case .knownUnknown:
            return .invalid
        case .retryAfter(let seconds):
            if credentialLookups.shouldReportLimit(now: Date()) {
                logger.warning("too many requests with unknown node tokens; asking them to retry (logged every 10 s at most)",
                               metadata: ["retryAfterSeconds": "\(seconds)"])
            }
            throw FleetError.tooManyRequests("too many requests with unknown node tokens; retry in \(seconds)s",
                                             retryAfterSeconds: seconds)
        case .lookUp:
            break
        }
        var removals = registry.removals
        var stored = try await store.credential(tokenHash: hash)
        if registry.removals != removals {
            // A credential was revoked while the lookup ran: what it read may predate that.
            removals = registry.removals
            stored = try await store.credential(tokenHash: hash)
        }
        guard registry.removals == removals else {
            // Revocations keep overlapping the lookup: neither accept nor refuse for good.
            throw FleetError.tooManyRequests("node credentials are changing; retry in 1s", retryAfterSeconds: 1)
        }
        guard let stored, stored.tokenHash == hash else {
            credentialLookups.remember(unknown: hash, now: Date())
            return .invalid
        }
        if !registry.holds(name: stored.name, tokenHash: hash) {
            registry.add(name: stored.name, tokenHash: hash)
            refreshNodeGauges()
            logger.info("node credential taken from the store (registered through another coordinator)",
                        metadata: ["node": "\(stored.name)"])
        }
        return registry.authorize(token: token, for: node)
    }

    /// Removes a node the inventory does not list: its credential, liveness and last
    /// report. Its events and recordings stay as history.
    public func deleteNode(_ name: String) async throws {
        guard allNodes().contains(name) else { throw FleetError.notFound(kind: "node", name: name) }
        guard book.assignments[name] == nil else {
            throw FleetError.conflict("node \(name) is in the inventory: remove it there and apply, then delete it")
        }
        _ = try await store.deleteCredential(node: name)
        await announce(.credential(node: name))
        try await store.deleteSnapshot(node: name)
        registry.remove(name: name)
        tracker.forget(name)
        observed.forget(name)
        statusBases[name] = nil
        reportLimiter.forget(name)
        watches.wake(node: name)
        refreshNodeGauges()
        logger.notice("node deleted", metadata: ["node": "\(name)"])
        await recordTransitions([NodeTransition(node: name, kind: .deleted, at: Date(),
                                                message: "deleted by an operator; it may register again")])
    }

    /// Revokes a node's credential so that it (or its replacement) may register again.
    public func resetNode(_ name: String) async throws {
        guard allNodes().contains(name) else { throw FleetError.notFound(kind: "node", name: name) }
        _ = try await store.deleteCredential(node: name)
        await announce(.credential(node: name))
        registry.remove(name: name)
        statusBases[name] = nil
        watches.wake(node: name)
        refreshNodeGauges()
        logger.notice("node credential revoked", metadata: ["node": "\(name)"])
        await recordTransitions([NodeTransition(node: name, kind: .reset, at: Date(),
                                                message: "credential revoked; the node may register again")])
    }
}
