import Foundation
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store lives: parsed from `postgres://user@host:port/db?sslmode=…`.
/// The password never comes from the URL's text in logs: it is given apart (a file or
/// PGPASSWORD) and `description` leaves it out.
///
/// ```swift
/// let settings = try PostgresSettings(url: "postgres://fleet@db.example.org:5432/fleet?sslmode=verify-full",
///                                     password: ProcessInfo.processInfo.environment["PGPASSWORD"])
/// let store = try PostgresFleetStore(settings: settings, logger: logger)
/// ```
public struct PostgresSettings: Sendable, CustomStringConvertible {
    /// libpq's sslmode values this coordinator honours.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// PEM file of the CA(s) that `verify-ca`/`verify-full` trust (`sslrootcert`); the system's when nil.
    public var sslRootCertificate: String?

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String,
                sslMode: SSLMode = .prefer, sslRootCertificate: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.sslRootCertificate = sslRootCertificate
    }

    /// Parses a `postgres://` or `postgresql://` URL. A password inside the URL is refused:
    /// it would show in `ps` and shell history; `password` comes from a file or PGPASSWORD.
    public init(url text: String, password: String?) throws {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw StoreError.unavailable("--database must be a postgres://user@host:port/db URL")
        }
        guard components.password == nil else {
            throw StoreError.unavailable("--database must not hold a password; use --database-password-file or PGPASSWORD")
        }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError.unavailable("--database URL has no host")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw StoreError.unavailable("--database URL has no database name (…/dbname)") }
        let user = components.user.flatMap { $0.removingPercentEncoding ?? $0 } ?? "postgres"
        var mode = SSLMode.prefer
        var rootCertificate: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else {
                    throw StoreError.unavailable("--database sslrootcert needs a file")
                }
                rootCertificate = value
            case "sslmode":
                guard let value = item.value, let parsed = SSLMode(rawValue: value) else {
                    let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw StoreError.unavailable("--database sslmode must be one of \(known), got \(item.value ?? "")")
                }
                mode = parsed
            default:
                throw StoreError.unavailable("--database URL parameter \(item.name) is not supported (only sslmode, sslrootcert)")
            }
        }
        self.init(host: host, port: components.port ?? 5432, username: user, password: password,
                  database: database.removingPercentEncoding ?? database, sslMode: mode,
                  sslRootCertificate: rootCertificate)
    }

    /// The URL without a password, for messages.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
            + (sslRootCertificate.map { "&sslrootcert=\($0)" } ?? "")
    }

    /// TLS as libpq's sslmode means it: `require` encrypts without checking the certificate,
    /// `verify-ca` checks the chain, `verify-full` also the host name.
    var tlsConfiguration: TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return nil
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let sslRootCertificate { tls.trustRoots = .file(sslRootCertificate) }
        return tls
    }

    /// How long opening a connection (TCP, TLS and the start-up handshake) may take.
    static let connectTimeout: Duration = .seconds(10)

    /// Configuration of the connection pool.
    func clientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch (sslMode, tlsConfiguration) {
        case (.disable, _), (_, nil): tls = .disable
        case (.allow, let config?), (.prefer, let config?): tls = .prefer(config)
        case (_, let config?): tls = .require(config)
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username,
                                                         password: password, database: database, tls: tls)
        configuration.options.connectTimeout = Self.connectTimeout
        configuration.options.maximumConnections = 10
        return configuration
    }

    /// Configuration of one connection (migrations, the start-up check): its errors are the
    /// server's own, where the pool would only say that it could not connect.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch (sslMode, tlsConfiguration) {
        case (.disable, _), (_, nil): tls = .disable
        case (.allow, let config?), (.prefer, let config?): tls = .prefer(try NIOSSLContext(configuration: config))
        case (_, let config?): tls = .require(try NIOSSLContext(configuration: config))
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username,
                                                             password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(Self.connectTimeout.components.seconds)
        return configuration
    }

    /// The password for `--database`: the first line of `file` when given, else PGPASSWORD.
    public static func password(file: String?, environment: [String: String]) throws -> String? {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw StoreError.unavailable("cannot read --database-password-file \(file)")
            }
            let text = String(decoding: data, as: UTF8.self)
            // Scalar-wise: "\r\n" is one Character in Swift, so split on the newline set.
            return text.components(separatedBy: .newlines).first ?? ""
        }
        return environment["PGPASSWORD"]
    }
}
