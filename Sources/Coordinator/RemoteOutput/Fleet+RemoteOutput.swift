import FleetProtocol
import Foundation

extension Fleet {
    /// How long a log or snapshot command waits for its node: these are interactive, so an
    /// agent that cannot take it (offline, or too old to know the kind) is not asked for long.
    static let remoteOutputTTL: TimeInterval = 60
    /// A followed log command is kept open this far ahead while someone reads it.
    static let followExtension: TimeInterval = 60

    // MARK: Requests (admin)

    /// Queues a request for a station's recorder log on its node.
    public func requestStationLogs(station: String, _ request: LogRequest) async throws -> CommandView {
        guard let owner = book.station(station) else { throw FleetError.notFound(kind: "station", name: station) }
        return try await enqueueOutput(.stationLogs, target: station, node: owner.node, logs: request)
    }

    /// Queues a request for an agent's own recent log.
    public func requestNodeLogs(node: String, _ request: LogRequest) async throws -> CommandView {
        guard allNodes().contains(node) else { throw FleetError.notFound(kind: "node", name: node) }
        return try await enqueueOutput(.nodeLogs, target: node, node: node, logs: request)
    }

    /// Queues a snapshot of a station's camera on its node.
    public func requestSnapshot(station: String) async throws -> CommandView {
        guard let owner = book.station(station) else { throw FleetError.notFound(kind: "station", name: station) }
        return try await enqueueOutput(.snapshot, target: station, node: owner.node, logs: nil)
    }

    private func enqueueOutput(_ kind: Command.Kind, target: String, node: String, logs: LogRequest?) async throws -> CommandView {
        if let problem = logs?.problem { throw FleetError.badRequest(problem) }
        try requireOnline(node)
        let now = Date()
        let open = commands.openCount(node: node) { $0.uploadsOutput }
        if case .retryAfter(let seconds) = remoteOutput.admit(openForNode: open, now: now) {
            throw FleetError.tooManyRequests(
                "too many log and snapshot requests (\(open) open for node \(node)); retry in \(seconds)s",
                retryAfterSeconds: seconds)
        }
        var view = CommandQueue.make(kind: kind, target: target, node: node, now: now)
        view.expiresAt = now.addingTimeInterval(Self.remoteOutputTTL)
        view.logs = logs
        if logs != nil { remoteOutput.open(view.id, now: now) }
        return try await enqueue(view)
    }

    /// Refuses at once (409) for a node that is not online: nothing would answer.
    func requireOnline(_ node: String) throws {
        switch nodeState(node) {
        case .online: return
        case .pending: throw FleetError.conflict("node \(node) has never connected; nothing can answer")
        case .offline:
            let age = tracker.lastHeartbeat(of: node).map { " (last heartbeat \(Self.ago($0)) ago)" } ?? ""
            throw FleetError.conflict("node \(node) is offline\(age); it cannot answer until it connects again")
        }
    }

    static func ago(_ date: Date) -> String {
        let seconds = max(0, Int(Date().timeIntervalSince(date)))
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 7200 { return "\(seconds / 60)m" }
        return "\(seconds / 3600)h"
    }

    // MARK: Uploads (node)

    /// An agent's log lines for its open log command; answers whether anyone still follows.
    public func uploadLogs(node: String, command id: String, _ upload: LogUpload) throws -> LogUploadAck {
        let view = try openOutputCommand(node: node, id: id, kinds: [.stationLogs, .nodeLogs])
        if let problem = upload.problem { throw FleetError.badRequest("log upload refused: \(problem)") }
        let now = Date()
        let buffer = remoteOutput.appendLogs(id, upload.lines, final: upload.final, now: now)
        let follow = view.logs?.follow == true && !upload.final && buffer.isFollowed(now: now)
        if follow { commands.extend(id, until: now.addingTimeInterval(Self.followExtension), now: now) }
        metrics.remoteOutputBytes(kind: "logs", upload.lines.reduce(0) { $0 + $1.utf8.count + 1 })
        return LogUploadAck(follow: follow)
    }

    /// An agent's JPEG for its open snapshot command.
    public func uploadSnapshot(node: String, command id: String, _ upload: SnapshotUpload) throws {
        let view = try openOutputCommand(node: node, id: id, kinds: [.snapshot])
        if let problem = upload.problem { throw FleetError.badRequest("snapshot refused: \(problem)") }
        remoteOutput.keep(SnapshotView(station: view.target, node: node, commandId: id, capturedAt: upload.capturedAt,
                                       receivedAt: Date(), segment: upload.segment, width: upload.width,
                                       height: upload.height, jpeg: upload.jpeg))
        metrics.remoteOutputBytes(kind: "snapshot", upload.jpeg.count)
        logger.info("snapshot received", metadata: ["station": "\(view.target)", "node": "\(node)",
                                                    "bytes": "\(upload.jpeg.count)", "segment": "\(upload.segment)"])
    }

    /// The open command `id` of `node` of one of `kinds`; 404 otherwise (also for another node's
    /// command: a node learns nothing about commands that are not its own).
    private func openOutputCommand(node: String, id: String, kinds: Set<Command.Kind>) throws -> CommandView {
        guard let view = commands.command(id: id), view.node == node, kinds.contains(view.kind) else {
            throw FleetError.notFound(kind: "open command", name: "\(id) of node \(node)")
        }
        return view
    }

    // MARK: Reading (admin)

    /// Lines of log command `id` from `cursor` on; holds the call up to `waitSeconds` (at most
    /// ``RemoteOutputLimits/maxPollSeconds``) while nothing new is there. Each call counts as
    /// "someone follows".
    public func logOutput(command id: String, cursor: Int, waitSeconds: Int) async throws -> LogChunk {
        let view = try await command(id: id)
        guard view.kind == .stationLogs || view.kind == .nodeLogs else {
            throw FleetError.badRequest("command \(id) is a \(view.kind.rawValue), not a log request")
        }
        let wait = Double(min(max(0, waitSeconds), RemoteOutputLimits.maxPollSeconds))
        let deadline = Date().addingTimeInterval(wait)
        remoteOutput.pollBegan(id, now: Date())
        defer { remoteOutput.pollEnded(id, now: Date()) }
        var rounds = 0
        while true {
            rounds += 1
            if let chunk = remoteOutput.read(id, from: cursor, now: Date()), !chunk.lines.isEmpty || chunk.done {
                return chunk
            }
            if let ended = try await endedOutput(id, cursor: cursor) { return ended }
            if Date() >= deadline || watches.draining || Task.isCancelled || rounds > 10_000 {
                return LogChunk(lines: [], cursor: cursor, done: false)
            }
            await parkPoll(id, deadline: deadline)
        }
    }

    /// The final answer when the command ended (or its node went away) without more lines here.
    private func endedOutput(_ id: String, cursor: Int) async throws -> LogChunk? {
        if let open = commands.command(id: id) {
            guard nodeState(open.node) != .online else { return nil }
            return LogChunk(lines: [], cursor: cursor, done: true, error: "node \(open.node) went offline")
        }
        let view = try await command(id: id)
        switch view.state {
        case .pending, .delivered: return nil
        case .succeeded:
            // Finished, but its lines never reached this instance: they went to another coordinator.
            if remoteOutput.hasBuffer(id), remoteOutput.read(id, from: cursor, now: Date())?.done == true {
                return LogChunk(lines: [], cursor: cursor, done: true)
            }
            return LogChunk(lines: [], cursor: cursor, done: true,
                            error: "the node sent its lines to another coordinator instance; ask again (\(view.message ?? "done"))")
        case .failed:
            return LogChunk(lines: [], cursor: cursor, done: true, error: "node \(view.node): \(view.message ?? "failed")")
        case .expired:
            return LogChunk(lines: [], cursor: cursor, done: true, error: view.message ?? "the request expired")
        }
    }

    private func parkPoll(_ command: String, deadline: Date) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    remoteOutput.park(command, id: id, deadline: deadline, continuation: continuation)
                }
            }
        } onCancel: {
            Task { await self.releasePoll(command, id: id) }
        }
    }

    func releasePoll(_ command: String, id: UUID) {
        remoteOutput.wake(command, id: id)
    }

    /// The latest snapshot of a station this coordinator holds.
    public func snapshot(station: String) throws -> SnapshotView {
        guard book.station(station) != nil else { throw FleetError.notFound(kind: "station", name: station) }
        guard let snapshot = remoteOutput.snapshot(of: station) else {
            throw FleetError.notFound(kind: "snapshot of station", name: station)
        }
        return snapshot
    }

    /// When the latest snapshot held here was captured (for `describe station`).
    func lastSnapshotAt(station: String) -> Date? { remoteOutput.snapshot(of: station)?.capturedAt }

    /// Parked log polls (for tests and metrics).
    public var parkedLogPolls: Int { remoteOutput.parkedCount }
}
