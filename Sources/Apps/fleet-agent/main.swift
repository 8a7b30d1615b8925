import ArgumentParser
import FleetAgent
import FleetProtocol
import FoundationEssentials
import Glibc
import Logging
import ServiceLifecycle

@main
struct FleetAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet-agent",
        abstract: "The StationFleet agent: runs one station's recorders, archives and backups.",
        version: FleetVersion.current,
        subcommands: [Run.self, UpgradeGuard.self],
        defaultSubcommand: Run.self
    )
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register with the coordinator and run this node's assignment.",
        discussion: """
            On first start the agent registers under --name (default: the hostname) with the join token, \
            and keeps the node credential it receives in --state-dir; later starts reuse it. It keeps \
            running its last assignment (persisted in the state dir) while no coordinator answers.

            Examples:
              fleet-agent run --coordinator https://nas.example.org:8420 --join-token-file /etc/stationfleet/join.token
              fleet-agent run --coordinator https://a:8420,https://b:8420 --join-token-file F --ca-file ca.pem
            """
    )

    @Option(help: ArgumentHelp("Coordinator URL(s), comma-separated for failover.", valueName: "url[,url...]"))
    var coordinator: String

    @Option(help: ArgumentHelp("The join token (prefer --join-token-file: arguments are visible in ps).", valueName: "token"))
    var joinToken: String?

    @Option(help: ArgumentHelp("File holding the join token.", valueName: "file"))
    var joinTokenFile: String?

    @Option(help: ArgumentHelp("Folder for the node credential, assignment, outbox and ledger.", valueName: "dir"))
    var stateDir: String = "/var/lib/stationfleet/agent"

    @Option(help: ArgumentHelp("Node name (default: the hostname).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("PEM file of a private CA that signed the coordinator's certificate.", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("Local status endpoint HOST:PORT, or 'off'.", valueName: "host:port"))
    var statusListen: String = "127.0.0.1:8421"

    @Option(help: ArgumentHelp("ffmpeg executable for recorders and thumbnails.", valueName: "path"))
    var ffmpeg: String = "ffmpeg"

    @Option(help: ArgumentHelp("ffprobe executable for segment checks.", valueName: "path"))
    var ffprobe: String = "ffprobe"

    @Option(help: ArgumentHelp("Upper bound, in seconds, of the random delay that spreads scheduled jobs.", valueName: "seconds"))
    var maxJobDelay: Double = 300

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("File with the base64 Ed25519 public key agent builds must be signed with; without it unsigned builds are accepted.", valueName: "file"))
    var upgradePublicKey: String?

    @Option(help: ArgumentHelp("Seconds a new agent build has to get its first heartbeat acknowledged before it is rolled back.", valueName: "seconds"))
    var upgradeDeadline: Int = 120

    @Option(help: ArgumentHelp("Cap of the on-disk queue of reports waiting for a coordinator: bytes, or with K, M, G. Over it older job runs are compacted; segments and events are never dropped before delivery.", valueName: "size"))
    var outboxMaxBytes: String = "256M"

    func validate() throws {
        guard let cap = ReportJournal.parseSize(outboxMaxBytes), cap >= ReportJournal.minimumMaxBytes else {
            throw ValidationError("--outbox-max-bytes must be a size of at least 64K, like 256M or 1G (got \(outboxMaxBytes))")
        }
        guard upgradeDeadline >= 5 else { throw ValidationError("--upgrade-deadline must be at least 5 seconds") }
        guard (joinToken == nil) != (joinTokenFile == nil) else {
            throw ValidationError("give exactly one of --join-token and --join-token-file")
        }
        guard !coordinatorURLs.isEmpty else { throw ValidationError("--coordinator needs at least one http(s) URL") }
        guard statusListen == "off" || parseHostPort(statusListen) != nil else {
            throw ValidationError("--status-listen must be HOST:PORT or off")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    var coordinatorURLs: [URL] {
        coordinator.split(separator: ",").compactMap { part in
            let text = String(part).trimmedWhitespace
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else { return nil }
            return url
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let ring = AgentLogRing()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            var remembered = RingLogHandler(label: label, ring: ring)
            remembered.logLevel = level
            return MultiplexLogHandler([handler, remembered])
        }
        let logger = Logger(label: "fleet-agent")
        // Before anything else: a dead trial is rolled back, a committed build runs (docs/agent-upgrades.md).
        AgentLauncher.run(stateDir: stateDir) { message in
            PosixIO.writeError("fleet-agent: \(message)\n")
        }
        var publicKey: String?
        if let upgradePublicKey {
            do {
                _ = try BuildSignature.loadPublicKey(file: upgradePublicKey)
                publicKey = try String(contentsOfFile: upgradePublicKey, encoding: .utf8).trimmedWhitespaceAndNewlines
            } catch {
                fail("\(error)")
            }
        }
        let token: String
        if let joinToken {
            token = joinToken
        } else if let joinTokenFile {
            guard let text = try? String(contentsOfFile: joinTokenFile, encoding: .utf8),
                  !text.trimmedWhitespaceAndNewlines.isEmpty else {
                fail("cannot read join token from \(joinTokenFile)")
            }
            token = text.trimmedWhitespaceAndNewlines
        } else {
            fail("no join token")
        }
        let nodeName = name ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        let listen = statusListen == "off" ? nil : parseHostPort(statusListen)
        var configuration = AgentConfiguration(
            coordinators: coordinatorURLs, joinToken: token, name: nodeName, stateDir: stateDir, caFile: caFile,
            statusListen: listen, ffmpegPath: ffmpeg, ffprobePath: ffprobe, maxJobDelaySeconds: max(0, maxJobDelay))
        configuration.upgradePublicKey = publicKey
        configuration.upgradeDeadlineSeconds = upgradeDeadline
        configuration.logRing = ring
        configuration.outboxMaxBytes = ReportJournal.parseSize(outboxMaxBytes) ?? ReportJournal.defaultMaxBytes
        let metrics = AgentMetrics()
        let agent: NodeAgent
        do {
            let runtimes = try AgentRuntimes.make(configuration: configuration, logger: logger)
            agent = try NodeAgent(configuration: configuration, logger: logger, metrics: metrics,
                                  recorders: runtimes.recorders, jobs: runtimes.jobs)
        } catch {
            fail("\(error)")
        }
        var services: [any Service] = []
        if let listen {
            services.append(StatusServer.make(agent: agent, metrics: metrics, host: listen.host, port: listen.port,
                                              logger: logger) { port in
                PosixIO.writeOutput("fleet-agent: status on http://\(listen.host):\(port)\n")
            })
        }
        services.append(AgentService(agent: agent))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        do {
            try await group.run()
        } catch {
            fail("\(error)")
        }
    }

    private func fail(_ message: String) -> Never {
        PosixIO.writeError("fleet-agent: \(message)\n")
        Glibc.exit(1)
    }
}

struct UpgradeGuard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade-guard",
        abstract: "Watch an agent build on trial and roll it back when it dies or is not healthy in time (started by the agent).",
        discussion: """
            The agent starts this from its current binary, in its own process group, just before it exec's \
            a new build. It exits once the new build commits; when the build exits or misses the deadline it \
            marks STATE/agent/upgrade.json rolled-back, stops the build, and (outside systemd) runs the previous \
            binary with ARGV itself.
            """
    )

    @Option(help: ArgumentHelp("The agent's state dir.", valueName: "dir"))
    var stateDir: String

    @Option(help: ArgumentHelp("Pid of the agent process running the build on trial.", valueName: "pid"))
    var pid: Int32

    @Option(help: ArgumentHelp("Seconds the build has to commit.", valueName: "seconds"))
    var deadline: Int

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The agent's arguments, for running the previous binary again."))
    var arguments: [String] = []

    func run() throws {
        let guardian = UpgradeGuardian(stateDir: stateDir, pid: pid, deadlineSeconds: deadline, arguments: arguments)
        let log: (String) -> Void = { PosixIO.writeError("fleet-agent upgrade-guard: \($0)\n") }
        switch guardian.watch(log: log) {
        case .settled:
            return
        case .rolledBack:
            throw ExitCode(guardian.resume(log: log))
        }
    }
}

func parseHostPort(_ text: String) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
          (0...65535).contains(port) else { return nil }
    let host = String(text[..<colon]).trimmingScalars(in: "[]")
    return host.isEmpty ? nil : (host, port)
}
