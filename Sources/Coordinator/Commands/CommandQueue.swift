import FleetProtocol
import Foundation

/// Open commands (pending or delivered, not yet answered) and their delivery times.
/// At-least-once: a delivered command without a result is offered again after
/// `redeliverAfter`; one nobody answers expires after `ttl`. Agents ignore ids they
/// have already carried out, so a repeat is harmless.
///
/// ```swift
/// var queue = CommandQueue()
/// let view = CommandQueue.make(kind: .runArchive, target: "video", node: "pi1", now: Date())
/// queue.add(view)
/// let batch = queue.takeForDelivery(node: "pi1", now: Date())   // marks it delivered
/// ```
struct CommandQueue {
    /// How long a command waits for its node before it expires.
    static let ttl: TimeInterval = 300
    /// A delivered command without a result is delivered again after this long.
    static let redeliverAfter: TimeInterval = 30

    /// Why a reported result was not taken.
    enum Refusal: Equatable {
        /// Already completed or never issued: results are idempotent.
        case unknown
        /// The command was addressed to another node.
        case otherNode(String)
    }

    /// What a sweep found.
    struct Sweep {
        var expired: [CommandView] = []
        /// Nodes with a command due for redelivery.
        var redeliver: Set<String> = []
    }

    private var open: [String: CommandView] = [:]
    private var deliveredAt: [String: Date] = [:]

    init(_ commands: [CommandView] = []) {
        for command in commands { open[command.id] = command }
    }

    static func make(kind: Command.Kind, target: String, node: String, now: Date) -> CommandView {
        CommandView(id: UUID().uuidString.lowercased(), kind: kind, target: target, node: node, state: .pending,
                    issuedAt: now, expiresAt: now.addingTimeInterval(ttl))
    }

    var count: Int { open.count }

    func command(id: String) -> CommandView? { open[id] }

    mutating func add(_ view: CommandView) { open[view.id] = view }

    /// Open commands of one node, or of all nodes when `node` is nil.
    func openCommands(node: String?) -> [CommandView] {
        open.values.filter { node == nil || $0.node == node }
    }

    /// Pending commands for a node, oldest first, marked delivered. "Delivered" is not
    /// persisted: after a coordinator restart an open command is simply delivered again.
    mutating func takeForDelivery(node: String, now: Date) -> [Command] {
        var commands: [Command] = []
        for (id, var view) in open where view.node == node && view.state == .pending {
            view.state = .delivered
            view.message = nil
            open[id] = view
            deliveredAt[id] = now
            commands.append(Command(id: view.id, kind: view.kind, target: view.target, node: view.node,
                                    issuedAt: view.issuedAt, expiresAt: view.expiresAt, logs: view.logs))
        }
        return commands.sorted { $0.issuedAt < $1.issuedAt }
    }

    /// The finished form of a command for a node's result, still open until `finish(_:)`
    /// (so a store failure leaves it open and the agent's resent result completes it).
    func completion(of result: CommandResult, node: String) -> Result<CommandView, RefusalError> {
        guard var view = open[result.commandId] else { return .failure(RefusalError(.unknown)) }
        guard view.node == node else { return .failure(RefusalError(.otherNode(view.node))) }
        view.state = result.ok ? .succeeded : .failed
        view.completedAt = result.completedAt
        view.message = result.message
        return .success(view)
    }

    /// Keeps a delivered command that is still being answered (a followed log) from expiring
    /// or being delivered again before `until`. In memory only, like delivery.
    mutating func extend(_ id: String, until: Date, now: Date) {
        guard var view = open[id], view.expiresAt < until else { return }
        view.expiresAt = until
        open[id] = view
        if view.state == .delivered { deliveredAt[id] = now }
    }

    /// Open commands of `node` whose kind matches.
    func openCount(node: String, where matches: (Command.Kind) -> Bool) -> Int {
        open.values.reduce(0) { $0 + ($1.node == node && matches($1.kind) ? 1 : 0) }
    }

    /// Closes a command once its final state is stored.
    mutating func finish(_ id: String) {
        open[id] = nil
        deliveredAt[id] = nil
    }

    /// Expires overdue commands (removed from the queue; the caller stores them) and
    /// re-queues delivered ones that nobody answered.
    mutating func sweep(now: Date) -> Sweep {
        var sweep = Sweep()
        for (id, var view) in open {
            if view.expiresAt <= now {
                let verb = view.state == .pending ? "pick it up" : "answer"
                view.state = .expired
                view.message = "node \(view.node) did not \(verb) before the command expired"
                finish(id)
                sweep.expired.append(view)
            } else if view.state == .delivered, let delivered = deliveredAt[id],
                      now.timeIntervalSince(delivered) > Self.redeliverAfter {
                view.state = .pending
                open[id] = view
                sweep.redeliver.insert(view.node)
            }
        }
        return sweep
    }

    /// `Result` needs an `Error`; this carries the refusal.
    struct RefusalError: Error, Equatable {
        var refusal: Refusal
        init(_ refusal: Refusal) { self.refusal = refusal }
    }
}
