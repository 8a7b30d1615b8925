import FleetProtocol
import Foundation

extension Fleet {
    /// How long a command waits for its node before it expires.
    static let commandTTL: TimeInterval = 300
    /// A delivered command without a result is delivered again after this long.
    static let redeliverAfter: TimeInterval = 30

    /// Queues a recorder restart on the station's node.
    public func restartRecorder(station: String) async throws -> CommandView {
        guard let owner = desired?.stations.first(where: { $0.name == station }) else {
            throw FleetError.notFound(kind: "station", name: station)
        }
        return try await enqueue(kind: .restartRecorder, target: station, node: owner.node)
    }

    /// Queues a run of an archive or backup job on every node that has it, or on one node.
    public func runJob(kind: Command.Kind, name: String, node: String?) async throws -> [CommandView] {
        let nodes = assignments.values.filter { assignment in
            switch kind {
            case .runArchive: return assignment.archives.contains { $0.name == name }
            case .runBackup: return assignment.backups.contains { $0.name == name }
            case .restartRecorder: return false
            }
        }.map(\.node).sorted()
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
        let now = Date()
        let view = CommandView(id: UUID().uuidString.lowercased(), kind: kind, target: target, node: node, state: .pending,
                               issuedAt: now, expiresAt: now.addingTimeInterval(Self.commandTTL))
        try await store.saveCommand(view)
        openCommands[view.id] = view
        logger.info("command queued", metadata: ["command": "\(view.id)", "kind": "\(kind.rawValue)",
                                                 "target": "\(target)", "node": "\(node)"])
        wakeWatchers(node: node)
        return view
    }

    /// A command by id, open or finished.
    public func command(id: String) async throws -> CommandView {
        if let open = openCommands[id] { return open }
        guard let stored = try await store.command(id: id) else { throw FleetError.notFound(kind: "command", name: id) }
        return stored
    }

    /// Pending commands for a node, marked delivered.
    func takeCommandsForDelivery(node: String) -> [Command] {
        var commands: [Command] = []
        for (id, var view) in openCommands where view.node == node && view.state == .pending {
            view.state = .delivered
            view.message = nil
            openCommands[id] = view
            deliveredAt[id] = Date()
            commands.append(Command(id: view.id, kind: view.kind, target: view.target, node: view.node,
                                    issuedAt: view.issuedAt, expiresAt: view.expiresAt))
            // "delivered" is not persisted: after a coordinator restart an open command is
            // simply delivered again, and the agent ignores ids it has carried out.
        }
        return commands.sorted { $0.issuedAt < $1.issuedAt }
    }

    func complete(_ result: CommandResult, node: String) async throws {
        guard var view = openCommands[result.commandId] else { return }  // already completed: idempotent
        guard view.node == node else { return }
        view.state = result.ok ? .succeeded : .failed
        view.completedAt = result.completedAt
        view.message = result.message
        try await store.saveCommand(view)
        openCommands[result.commandId] = nil
        deliveredAt[result.commandId] = nil
    }

    /// Expires overdue commands (stored before this returns) and re-queues delivered ones
    /// that nobody answered.
    func expireCommands(now: Date) async {
        var expired: [CommandView] = []
        for (id, var view) in openCommands {
            if view.expiresAt <= now {
                let verb = view.state == .pending ? "pick it up" : "answer"
                view.state = .expired
                view.message = "node \(view.node) did not \(verb) before the command expired"
                openCommands[id] = nil
                deliveredAt[id] = nil
                expired.append(view)
            } else if view.state == .delivered, let delivered = deliveredAt[id],
                      now.timeIntervalSince(delivered) > Self.redeliverAfter {
                // At-least-once: the agent ignores ids it has already carried out.
                view.state = .pending
                openCommands[id] = view
                wakeWatchers(node: view.node)
            }
        }
        for view in expired {
            do { try await store.saveCommand(view) } catch {
                logger.error("cannot save expired command", metadata: ["command": "\(view.id)", "error": "\(error)"])
            }
        }
    }
}
