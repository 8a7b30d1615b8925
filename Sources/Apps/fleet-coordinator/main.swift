import ArgumentParser
import FleetCoordinator
import FleetProtocol
import Foundation
import Logging

@main
struct FleetCoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet-coordinator",
        abstract: "The StationFleet coordinator: inventory, desired state, assignments and alerts.",
        version: FleetVersion.current,
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the coordinator API.",
        discussion: """
            On first start the coordinator creates admin.token and join.token (mode 0600) in the data dir \
            and prints their paths. Plain HTTP is served only on a loopback address or with --insecure-http; \
            otherwise give --tls-cert and --tls-key.

            Examples:
              fleet-coordinator serve --listen 127.0.0.1:8420 --data-dir ./coordinator-data
              fleet-coordinator serve --tls-cert /etc/stationfleet/tls.crt --tls-key /etc/stationfleet/tls.key
            """
    )

    @Option(help: ArgumentHelp("Address to listen on, HOST:PORT (port 0 picks a free one).", valueName: "host:port"))
    var listen: String = "0.0.0.0:8420"

    @Option(help: ArgumentHelp("Folder for the embedded database and the token files.", valueName: "dir"))
    var dataDir: String = "/var/lib/stationfleet/coordinator"

    @Option(help: ArgumentHelp("PostgreSQL instead of embedded SQLite: postgres://USER@HOST:PORT/DB, optionally ?sslmode=disable|require|verify-ca|verify-full (default prefer) and &sslrootcert=CA.pem. The password comes from --database-password-file or PGPASSWORD, never the URL. Default: embedded SQLite in --data-dir.", valueName: "url"))
    var database: String?

    @Option(help: ArgumentHelp("File whose first line is the --database password (else PGPASSWORD).", valueName: "file"))
    var databasePasswordFile: String?

    @Option(help: ArgumentHelp("PEM certificate (chain) to serve TLS with.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Flag(help: "Allow plain HTTP on a non-loopback address.")
    var insecureHTTP = false

    @Option(help: ArgumentHelp("""
        Who may register: 'open' (any valid name; unknown names show as nodes without \
        an assignment until deleted) or 'inventory' (only names the applied inventory lists).
        """, valueName: "policy"))
    var registration: String = RegistrationPolicy.open.rawValue

    @Option(help: ArgumentHelp("Registrations accepted per second after a burst of 20 (or ten seconds' worth); raise it to onboard many stations at once, e.g. 50.", valueName: "n"))
    var registrationRate: Double = Fleet.defaultRegistrationRate

    @Option(help: ArgumentHelp("Open connections at most; further ones are closed at once (logged once per episode).", valueName: "n"))
    var maxConnections: Int = 1024

    @Option(help: ArgumentHelp("Close a connection with no request in flight after this long (e.g. 60s); also bounds reading a request's headers. Parked watches are not idle.", valueName: "duration"))
    var idleTimeout: String = "60s"

    @Option(help: ArgumentHelp("Reading one request's body must finish within this long after its headers (e.g. 30s); answered 408.", valueName: "duration"))
    var requestTimeout: String = "30s"

    @Option(help: ArgumentHelp("The coordinator's URL as alert receivers should link to it (webhook externalURL, mail footer). Default: from --listen.", valueName: "url"))
    var externalURL: String?

    @Option(help: ArgumentHelp("First retry of an undelivered notification after this long, doubling up to --notify-max-backoff (e.g. 2s).", valueName: "duration"))
    var notifyInitialBackoff: String = "2s"

    @Option(help: ArgumentHelp("Longest wait between two tries of one receiver while it is down (e.g. 5m).", valueName: "duration"))
    var notifyMaxBackoff: String = "300s"

    @Option(name: .customLong("lease-ttl"), help: ArgumentHelp("Leader lease TTL: another coordinator sharing the store may take over this long after the leader's last renewal (e.g. 15s).", valueName: "duration"))
    var leaseTTL: String = "15s"

    @Option(name: .customLong("lease-renew"), help: ArgumentHelp("How often the leader renews its lease (and every instance refreshes its registration); less than --lease-ttl (e.g. 5s).", valueName: "duration"))
    var leaseRenew: String = "5s"

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        if databasePasswordFile != nil && database == nil {
            throw ValidationError("--database-password-file goes with --database")
        }
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, got \(listen)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard RegistrationPolicy(rawValue: registration) != nil else {
            throw ValidationError("--registration must be open or inventory, got \(registration)")
        }
        guard registrationRate > 0, registrationRate <= 10_000 else {
            throw ValidationError("--registration-rate must be above 0 and at most 10000 per second, got \(registrationRate)")
        }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be at least 1, got \(maxConnections)") }
        guard ConnectionLimits.parseDuration(idleTimeout) != nil else {
            throw ValidationError("--idle-timeout must be a duration such as 60s or 500ms, got \(idleTimeout)")
        }
        guard ConnectionLimits.parseDuration(requestTimeout) != nil else {
            throw ValidationError("--request-timeout must be a duration such as 30s or 500ms, got \(requestTimeout)")
        }
        for (flag, value) in [("--notify-initial-backoff", notifyInitialBackoff), ("--notify-max-backoff", notifyMaxBackoff)] {
            guard let duration = ConnectionLimits.parseDuration(value), duration > .zero else {
                throw ValidationError("\(flag) must be a duration such as 2s or 5m, got \(value)")
            }
        }
        guard let ttl = ConnectionLimits.parseDuration(leaseTTL), ttl > .zero else {
            throw ValidationError("--lease-ttl must be a duration such as 15s, got \(leaseTTL)")
        }
        guard let renew = ConnectionLimits.parseDuration(leaseRenew), renew > .zero, renew < ttl else {
            throw ValidationError("--lease-renew must be a duration shorter than --lease-ttl (\(leaseTTL)), got \(leaseRenew)")
        }
        if let externalURL, URL(string: externalURL)?.host == nil {
            throw ValidationError("--external-url must be an absolute URL such as https://nas.example.org:8443, got \(externalURL)")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "fleet-coordinator")
        guard let address = ListenAddress(listen) else { throw ValidationError("--listen must be HOST:PORT") }
        let limits = ConnectionLimits(maxConnections: maxConnections,
                                      idleTimeout: ConnectionLimits.parseDuration(idleTimeout) ?? .seconds(60),
                                      requestTimeout: ConnectionLimits.parseDuration(requestTimeout) ?? .seconds(30))
        var databasePassword: String?
        if database != nil {
            do {
                databasePassword = try PostgresSettings.password(file: databasePasswordFile,
                                                                 environment: ProcessInfo.processInfo.environment)
            } catch {
                FileHandle.standardError.write(Data("fleet-coordinator: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        var configuration = CoordinatorConfiguration(listen: address, dataDir: dataDir, databaseURL: database,
                                                     tlsCertificate: tlsCert, tlsKey: tlsKey, insecureHTTP: insecureHTTP,
                                                     registration: RegistrationPolicy(rawValue: registration) ?? .open,
                                                     limits: limits,
                                                     alerting: AlertingOptions(
                                                        delivery: DeliveryPolicy(
                                                            initialBackoff: ConnectionLimits.parseDuration(notifyInitialBackoff) ?? .seconds(2),
                                                            maxBackoff: ConnectionLimits.parseDuration(notifyMaxBackoff) ?? .seconds(300)),
                                                        externalURL: externalURL ?? ""))
        configuration.databasePassword = databasePassword
        var configured = configuration
        configured.registrationRate = registrationRate
        configured.leaseTiming = LeaseTiming(ttl: ConnectionLimits.parseDuration(leaseTTL) ?? .seconds(15),
                                             renewEvery: ConnectionLimits.parseDuration(leaseRenew) ?? .seconds(5))
        do {
            try await CoordinatorServer(configuration: configured, logger: logger).run { url in
                FileHandle.standardOutput.write(Data("fleet-coordinator: listening on \(url)\n".utf8))
            }
        } catch let error as CoordinatorStartError {
            FileHandle.standardError.write(Data("fleet-coordinator: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("fleet-coordinator: \(error)\n".utf8))
            throw ExitCode(1)
        } catch {
            // e.g. the listen address is in use: one line, not a dump.
            FileHandle.standardError.write(Data("fleet-coordinator: cannot serve on \(listen): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
