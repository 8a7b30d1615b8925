import FleetProtocol
import FoundationEssentials

extension NodeAgent {
    // MARK: Remote logs and snapshots: read here, upload over the agent's own connection

    /// How often a follow looks for new lines.
    static let followPoll: Duration = .milliseconds(250)
    /// A follow uploads at least this often (also with nothing new) to learn whether anyone still reads.
    static let followKeepalive: Duration = .seconds(1)

    /// Carries out `stationLogs`, `nodeLogs` or `snapshot`; returns the result message.
    func remoteOutput(_ command: Command) async throws -> String {
        guard let identity else { throw AgentCommandError.failed("not registered") }
        switch command.kind {
        case .snapshot:
            let spec = try recorderSpec(command.target)
            let taker = SnapshotTaker(ffmpegPath: configuration.ffmpegPath,
                                      tempDir: configuration.stateDir.pathJoining("tmp"))
            let open = await recorders?.openSegments() ?? []
            let upload = try await taker.take(station: spec.station, stationDir: spec.stationDir, open: open)
            try await client.uploadSnapshot(node: identity.name, token: identity.token, command: command.id, upload)
            return "snapshot of \(spec.station) from \(upload.segment) (\(upload.jpeg.count) bytes)"
        case .stationLogs:
            let spec = try recorderSpec(command.target)
            let path = AgentRuntimes.logDir(stateDir: configuration.stateDir).pathJoining("recorder-\(spec.station).log")
            let secrets = Self.password(of: spec).map { [$0, Self.percentEncodeNonAlphanumerics($0)] }
            return try await Self.streamLogs(command, identity: identity, client: client,
                                             redactor: Redactor(secrets: secrets ?? []), source: .file(path))
        case .nodeLogs:
            guard let ring = configuration.logRing else {
                throw AgentCommandError.unsupported("this agent keeps no log of its own in memory")
            }
            return try await Self.streamLogs(command, identity: identity, client: client, redactor: Redactor(secrets: []),
                                             source: .ring(ring))
        case .restartRecorder, .runArchive, .runBackup:
            throw AgentCommandError.unsupported("\(command.kind.rawValue) uploads no output")
        }
    }

    private func recorderSpec(_ station: String) throws -> RecorderSpec {
        guard recorders != nil else { throw AgentCommandError.unsupported("this agent runs no recorders") }
        guard let spec = assignment?.recorders.first(where: { $0.station == station }) else {
            throw AgentCommandError.unsupported("station \(station) is not assigned to this node")
        }
        return spec
    }

    /// The camera password (to redact it once more before anything leaves the node).
    /// Percent-encodes (upper-case hex) every UTF-8 byte that is not an ASCII letter or digit,
    /// as `addingPercentEncoding(withAllowedCharacters: .alphanumerics)` did on Linux (it escapes
    /// every non-ASCII byte too); that API is not in FoundationEssentials.
    static func percentEncodeNonAlphanumerics(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func password(of spec: RecorderSpec) -> String? {
        guard let file = spec.passwordFile,
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let password = text.trimmedWhitespaceAndNewlines
        return password.isEmpty ? nil : password
    }

    /// Where a log request reads.
    enum LogSource: Sendable {
        /// A station's recorder log file (and its rotations).
        case file(String)
        /// The agent's own lines in memory.
        case ring(AgentLogRing)
    }

    /// Uploads the requested tail; with `follow`, keeps uploading new lines until the
    /// coordinator says nobody reads any more (or the command is gone). Runs off the agent's
    /// actor, so a busy reconcile pass never delays a follower.
    nonisolated static func streamLogs(_ command: Command, identity: NodeIdentity, client: any CoordinatorConnection,
                                       redactor: Redactor, source: LogSource) async throws -> String {
        let request = command.logs ?? LogRequest()
        if let problem = request.problem { throw AgentCommandError.unsupported(problem) }
        var files: StationLogFiles?
        var position = 0
        let tail: [String]
        switch source {
        case .file(let path):
            var reader = StationLogFiles(path: path)
            tail = reader.tail(request.tail, since: request.sinceSeconds)
            files = reader
        case .ring(let ring):
            (tail, position) = ring.tail(request.tail, since: request.sinceSeconds)
        }
        var sent = tail.count
        var following = try await upload(tail.map(redactor.redact), final: !request.follow, command: command,
                                         identity: identity, client: client)
        guard request.follow else { return "\(sent) log lines" }
        var lastUpload = ContinuousClock.now
        while following, !Task.isCancelled {
            try? await Task.sleep(for: followPoll)
            var lines: [String]
            switch source {
            case .file:
                lines = files?.readNew() ?? []
            case .ring(let ring):
                (lines, position) = ring.lines(after: position)
            }
            lines = lines.map(redactor.redact)
            guard !lines.isEmpty || ContinuousClock.now - lastUpload >= followKeepalive else { continue }
            following = try await upload(lines, final: false, command: command, identity: identity, client: client)
            sent += lines.count
            lastUpload = .now
        }
        return "followed: \(sent) log lines"
    }

    /// Sends lines in bounded pieces; returns whether someone still follows.
    nonisolated static func upload(_ lines: [String], final: Bool, command: Command, identity: NodeIdentity,
                                   client: any CoordinatorConnection) async throws -> Bool {
        var pieces: [[String]] = [[]]
        var bytes = 0
        for line in lines.map(RemoteOutputLimits.bounded) {
            let size = line.utf8.count + 1
            if pieces[pieces.count - 1].count >= RemoteOutputLimits.maxTail || bytes + size > RemoteOutputLimits.maxLogBytes {
                pieces.append([])
                bytes = 0
            }
            pieces[pieces.count - 1].append(line)
            bytes += size
        }
        var follow = false
        for (index, piece) in pieces.enumerated() {
            let ack = try await client.uploadLogs(node: identity.name, token: identity.token, command: command.id,
                                                  LogUpload(lines: piece, final: final && index == pieces.count - 1))
            follow = ack.follow
        }
        return follow
    }
}
