import FleetProtocol
import Foundation

extension Fleet {
    /// How long a command waits for its node before it expires.
    static var commandTTL: TimeInterval { CommandQueue.ttl }

    /// Queues a recorder restart on the station's node.
    public func restartRecorder(station: String) async throws -> CommandView {
        guard let owner = book.station(station) else { throw FleetError.notFound(kind: "station", name: station) }
        return try await enqueue(kind: .restartRecorder, target: station, node: owner.node)
    }

    /// Queues a run of an archive or backup job on every node that has it, or on one node.
    public func runJob(kind: Command.Kind, name: String, node: String?) async throws -> [CommandView] {
        let nodes = book.nodes(running: kind, named: name)
        let label = kind == .runArchive ? "archive" : "backup"
        guard !nodes.isEmpty else { throw FleetError.notFound(kind: label, name: name) }
        let targets: [String]
        if let node {
            guard nodes.contains(node) else { throw FleetError.badRequest("\(label) \(name) is not assigned to node \(node)") }
            targets = [node]
        } else {
            targets = nodes
        }
        var views: [CommandView] = []
        for target in targets { views.append(try await enqueue(kind: kind, target: name, node: target)) }
        return views
    }

    func enqueue(kind: Command.Kind, target: String, node: String) async throws -> CommandView {
        try await enqueue(CommandQueue.make(kind: kind, target: target, node: node, now: Date()))
    }

    /// Stores, queues and announces a prepared command, and wakes its node's watch.
    func enqueue(_ view: CommandView) async throws -> CommandView {
        let (kind, target, node) = (view.kind, view.target, view.node)
        try await store.saveCommand(view)
        commands.add(view)
        logger.info("command queued", metadata: ["command": "\(view.id)", "kind": "\(kind.rawValue)",
                                                 "target": "\(target)", "node": "\(node)"])
        watches.wake(node: node)
        await announce(.command(node: node))
        changes.publish(.command(view))
        return view
    }

    /// A command by id, open or finished.
    public func command(id: String) async throws -> CommandView {
        if let open = commands.command(id: id) { return open }
        guard let stored = try await store.command(id: id) else { throw FleetError.notFound(kind: "command", name: id) }
        return stored
    }

    /// Completes a command from a node's result; returns the finished command, or nil when
    /// the result was a repeat or was not the node's to give (logged).
    func complete(_ result: CommandResult, node: String) async throws -> CommandView? {
        switch commands.completion(of: result, node: node) {
        case .success(let view):
            try await store.saveCommand(view)
            commands.finish(view.id)
            remoteOutput.wake(view.id)
            await announce(.command(node: node))
            return view
        case .failure(let refusal) where refusal.refusal != .unknown:
            logger.warning("command result refused", metadata: ["node": "\(node)", "command": "\(result.commandId)",
                                                                "reason": "\(refusal.refusal)"])
            return nil
        case .failure:
            return nil  // already completed: idempotent
        }
    }

    /// Expires overdue commands (stored before this returns) and re-queues delivered ones
    /// that nobody answered.
    func expireCommands(now: Date) async {
        let sweep = commands.sweep(now: now)
        for node in sweep.redeliver { watches.wake(node: node) }
        for view in sweep.expired {
            remoteOutput.wake(view.id)
            do { try await store.saveCommand(view) } catch {
                logger.error("cannot save expired command", metadata: ["command": "\(view.id)", "error": "\(error)"])
            }
        }
        changes.publish(sweep.expired.map(FleetChange.command))
    }
}
