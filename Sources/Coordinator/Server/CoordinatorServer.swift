import FleetProtocol
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Settings of `fleet-coordinator serve`.
public struct CoordinatorConfiguration: Sendable {
    public var listen: ListenAddress
    public var dataDir: String
    /// `nil` means embedded SQLite in `dataDir`; `postgres://user@host:port/db?sslmode=…` PostgreSQL.
    public var databaseURL: String?
    /// The PostgreSQL password (from `--database-password-file` or PGPASSWORD); never logged.
    public var databasePassword: String?
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var insecureHTTP: Bool
    /// Whether names the inventory does not list may register.
    public var registration: RegistrationPolicy
    /// Connection cap and timeouts of the HTTP server.
    public var limits: ConnectionLimits
    /// Evaluation interval, delivery retries and the URL receivers link back to.
    public var alerting: AlertingOptions
    /// Largest agent build `fleetctl agent publish` may upload (tests make it smaller).
    public var agentBuildMaxBytes: Int64 = AgentBuild.maxSize
    /// Leader lease TTL and renewal interval (tests make them short).
    public var leaseTiming = LeaseTiming()
    /// Registrations accepted per second, sustained (`--registration-rate`).
    public var registrationRate = Fleet.defaultRegistrationRate

    public init(listen: ListenAddress, dataDir: String, databaseURL: String? = nil, tlsCertificate: String? = nil,
                tlsKey: String? = nil, insecureHTTP: Bool = false, registration: RegistrationPolicy = .open,
                limits: ConnectionLimits = ConnectionLimits(), alerting: AlertingOptions = AlertingOptions()) {
        self.alerting = alerting
        self.registration = registration
        self.limits = limits
        self.listen = listen
        self.dataDir = dataDir
        self.databaseURL = databaseURL
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
        self.insecureHTTP = insecureHTTP
    }
}

/// Errors that stop the coordinator from starting, each one line for the operator.
public enum CoordinatorStartError: Error, CustomStringConvertible {
    case plainHTTPNotAllowed(ListenAddress)
    case tlsIncomplete
    case tls(String)
    case dataDir(String)
    case database(String)

    public var description: String {
        switch self {
        case .plainHTTPNotAllowed(let address):
            return "refusing plain HTTP on non-loopback \(address): give --tls-cert and --tls-key, or --insecure-http"
        case .tlsIncomplete: return "--tls-cert and --tls-key go together"
        case .tls(let detail): return "cannot load TLS certificate or key: \(detail)"
        case .dataDir(let detail): return "data dir: \(detail)"
        case .database(let detail): return "database: \(detail)"
        }
    }
}

/// Builds and runs the coordinator: store, fleet, HTTP API and housekeeping.
///
/// ```swift
/// let configuration = CoordinatorConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0),
///                                              dataDir: "/var/lib/stationfleet/coordinator")
/// try await CoordinatorServer(configuration: configuration, logger: logger).run { url in
///     print("listening on \(url)")   // runs until SIGTERM/SIGINT
/// }
/// ```
public struct CoordinatorServer: Sendable {
    public let configuration: CoordinatorConfiguration
    public let logger: Logger

    public init(configuration: CoordinatorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGTERM/SIGINT; `onListening` gets the bound address (useful with port 0).
    public func run(onListening: @escaping @Sendable (String) async -> Void = { _ in }) async throws {
        let tls = try makeTLSConfiguration()
        let secrets = try prepareDataDir()
        let store = try makeStore()
        do {
            // An unreachable database is waited for (with back-off) before anything is served.
            guard try await StoreStartup(migrate: store.migrate, logger: logger).migrate() else {
                await (store as? PostgresFleetStore)?.shutdown()
                return
            }
            try await serve(store: store, tls: tls, secrets: secrets, onListening: onListening)
        } catch {
            await (store as? PostgresFleetStore)?.shutdown()
            throw error
        }
        await (store as? PostgresFleetStore)?.shutdown()
    }

    private func serve(store: any FleetStore, tls: TLSConfiguration?, secrets: CoordinatorSecrets,
                       onListening: @escaping @Sendable (String) async -> Void) async throws {
        let metrics = CoordinatorMetrics()
        let agentBuilds: AgentBuildStore
        do {
            agentBuilds = try AgentBuildStore(root: (configuration.dataDir as NSString).appendingPathComponent("agent-builds"),
                                              maxBytes: configuration.agentBuildMaxBytes)
        } catch {
            throw CoordinatorStartError.dataDir("agent-builds: \(error.localizedDescription)")
        }
        let fleet = Fleet(store: store, logger: logger, metrics: metrics, registration: configuration.registration,
                          agentBuilds: agentBuilds)
        try await fleet.load()
        await fleet.setRegistrationRate(configuration.registrationRate)
        // Coordinators sharing a PostgreSQL database tell each other what they changed, so
        // that a watch held here wakes for an apply, registration or command made elsewhere.
        let feed: any StoreChangeFeed = (store as? PostgresFleetStore).map { PostgresChangeFeed(store: $0, logger: logger) }
            ?? SoloChangeFeed()
        await fleet.attach(feed: feed)
        // Coordinators on one database accept one join token, whoever rotated it.
        if store is PostgresFleetStore { try await fleet.shareJoinToken(secrets) }
        // Announcements that arrive while one is followed are folded into one batch.
        let following = Task {
            let inbox = StoreChangeInbox()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await change in feed.changes() { await inbox.add(change) }
                    await inbox.finish()
                }
                group.addTask {
                    while let batch = await inbox.next() { await fleet.follow(batch) }
                }
            }
        }
        defer { following.cancel() }
        let notifiers = NotifierSet(logger: logger)
        var alertingRef: Alerting?
        // A wildcard listen address is no link: name this host instead.
        let listen = configuration.listen
        let advertisedHost = ["0.0.0.0", "::", ""].contains(listen.host) ? ProcessInfo.processInfo.hostName
            : (listen.host.contains(":") ? "[\(listen.host)]" : listen.host)
        let advertisedScheme = tls == nil ? "http" : "https"
        // The leader seam: this instance registers itself and competes for the lease; only
        // the leader evaluates alerts, sends notifications, prunes history and drives rollouts.
        let coordination: any CoordinatorRegistry & LeaderLease
        if let shared = store as? any CoordinatorRegistry & LeaderLease {
            coordination = shared
        } else {
            logger.warning("the store keeps no coordinator registry or leader lease: this instance leads alone; do not run a second one on it")
            coordination = SoloCoordination()
        }
        let leadership = Leadership(store: coordination,
                                    url: configuration.alerting.externalURL.isEmpty
                                        ? "\(advertisedScheme)://\(advertisedHost):\(listen.port)" : configuration.alerting.externalURL,
                                    timing: configuration.leaseTiming, logger: logger, metrics: metrics)
        await leadership.start()
        await fleet.attach(leadership)
        // Several instances may share a PostgreSQL database: each flushes the liveness of the
        // agents attached to it every second and merges what the others flushed.
        let sharedStore = store is PostgresFleetStore
        if sharedStore { await fleet.shareLiveness(writer: leadership.instanceID) }
        do {
            var alertingOptions = configuration.alerting
            if alertingOptions.externalURL.isEmpty {
                alertingOptions.externalURL = "\(advertisedScheme)://\(advertisedHost):\(listen.port)"
            }
            let alerting = Alerting(store: store, logger: logger, metrics: metrics, options: alertingOptions,
                                    notifiers: notifiers.make)
            alertingRef = alerting
            try await alerting.start(fleet: fleet, leadership: leadership)

            let router = APIRouter(fleet: fleet, store: store, secrets: secrets, metrics: metrics, alerting: alerting,
                                   agentBuilds: agentBuilds, leadership: leadership, secureCookies: tls != nil).build()
            let responder = EnvelopeResponder(inner: router.buildResponder(), metrics: metrics, logger: logger)
            let scheme = tls == nil ? "http" : "https"
            let http1 = HTTPServerBuilder.guardedHTTP1(limits: configuration.limits, logger: logger)
            // TLS offers h2 by ALPN (HTTP/1.1 for clients that do not take it); plain HTTP stays HTTP/1.1.
            let server: HTTPServerBuilder = tls.map {
                .guardedHTTP2Upgrade(tlsConfiguration: $0, limits: configuration.limits, logger: logger)
            } ?? http1
            let app = Application(
                responder: responder,
                server: server,
                configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port),
                                     serverName: "fleet-coordinator/\(FleetVersion.current)"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? configuration.listen.port
                    if configuration.alerting.externalURL.isEmpty {
                        await leadership.advertise("\(advertisedScheme)://\(advertisedHost):\(port)")
                    }
                    let host = configuration.listen.host.contains(":") ? "[\(configuration.listen.host)]" : configuration.listen.host
                    await onListening("\(scheme)://\(host):\(port)")
                },
                logger: logger
            )
            let housekeeping = Housekeeping(fleet: fleet, shared: sharedStore)
            let group = ServiceGroup(configuration: .init(
                services: [app, housekeeping], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            await feed.stop()
            await alertingRef?.stop()
            await leadership.stop(release: true)
            await notifiers.shutdown()
            throw error
        }
        await feed.stop()
        await alertingRef?.stop()
        // A clean stop hands the lease over at once instead of after its TTL.
        await leadership.stop(release: true)
        await notifiers.shutdown()
        await fleet.flushSnapshots()
        logger.info("coordinator stopped")
    }

    private func makeTLSConfiguration() throws -> TLSConfiguration? {
        switch (configuration.tlsCertificate, configuration.tlsKey) {
        case (nil, nil):
            guard configuration.listen.isLoopback || configuration.insecureHTTP else {
                throw CoordinatorStartError.plainHTTPNotAllowed(configuration.listen)
            }
            return nil
        case (let cert?, let key?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
                let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            } catch {
                throw CoordinatorStartError.tls("\(error)")
            }
        default:
            throw CoordinatorStartError.tlsIncomplete
        }
    }

    private func prepareDataDir() throws -> CoordinatorSecrets {
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let (secrets, created) = try CoordinatorSecrets.loadOrCreate(dataDir: configuration.dataDir)
            for path in created { Console.out("fleet-coordinator: created token file \(path)") }
            Console.out("fleet-coordinator: admin token in \(secrets.adminTokenPath), join token in \(secrets.joinTokenPath)")
            return secrets
        } catch let error as TokenFileError {
            throw CoordinatorStartError.dataDir(error.description)
        } catch {
            throw CoordinatorStartError.dataDir("\(configuration.dataDir): \(error.localizedDescription)")
        }
    }

    private func makeStore() throws -> any FleetStore {
        if let url = configuration.databaseURL {
            let settings: PostgresSettings
            do {
                settings = try PostgresSettings(url: url, password: configuration.databasePassword)
            } catch let error as StoreError {
                if case .unavailable(let detail) = error { throw CoordinatorStartError.database(detail) }
                throw error
            }
            logger.info("using PostgreSQL", metadata: ["database": "\(settings)"])
            return PostgresFleetStore(settings: settings, logger: logger)
        }
        return try SQLiteFleetStore(path: (configuration.dataDir as NSString).appendingPathComponent("coordinator.sqlite"))
    }
}

/// Drives the fleet's clocks: each tick hands due deadlines to the heartbeat tracker (node
/// missed/offline events), the watch registry and the command queue; snapshots are flushed
/// every 2 s and old history pruned hourly. With a shared store (`shared`) snapshots are
/// flushed every second and the other instances' pulled every second, half a second later.
/// Listed after the HTTP server so it is shut down first: it releases every parked
/// watch, and the server's drain of in-flight requests is then quick.
struct Housekeeping: Service {
    let fleet: Fleet
    var shared = false

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var ticks = 0
            while !Task.isCancelled {
                await fleet.tick()
                if ticks % 14_400 == 0 { await fleet.pruneHistory() }  // at start, then hourly
                ticks += 1
                if ticks % (shared ? 4 : 8) == 0 { await fleet.flushSnapshots() }
                if shared, ticks % 4 == 2 { await fleet.pullSnapshots() }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        await fleet.drain()
    }
}
