import ArgumentParser
import Foundation

/// How results are printed: `-o table|json|yaml`.
public enum OutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table, json, yaml
}

/// Options every command accepts; shared with `@OptionGroup`.
public struct GlobalOptions: ParsableArguments, Sendable {
    /// The default coordinator when neither `--coordinator` nor `FLEET_COORDINATOR` is given.
    public static let defaultCoordinator = "http://127.0.0.1:8420"

    @Option(name: .long, help: ArgumentHelp(
        "Coordinator base URL (env FLEET_COORDINATOR; default \(GlobalOptions.defaultCoordinator)).",
        valueName: "url"))
    public var coordinator: String?

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "File holding the admin token (env FLEET_TOKEN_FILE; or the token itself in FLEET_TOKEN).",
        valueName: "file"))
    public var tokenFile: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp(
        "PEM file of a private CA that signed the coordinator's certificate (https only). Without it the system trust store is used; the certificate is always verified.",
        valueName: "file"))
    public var caFile: String?

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Output format: table, json or yaml.", valueName: "format"))
    public var output: OutputFormat = .table

    @Option(name: .long, help: ArgumentHelp("Timeout of each request, in seconds.", valueName: "seconds"))
    public var timeout: Double = 10

    public init() {}

    public func validate() throws {
        guard timeout > 0, timeout.isFinite else {
            throw ValidationError("--timeout must be a positive number of seconds")
        }
    }

    /// Resolves flags and environment into the settings of a ``CoordinatorClient``.
    /// Reads the token file; throws ``FleetctlError/invalidInput(_:)`` when it cannot.
    public func settings(environment: [String: String]) throws -> CoordinatorSettings {
        let base = coordinator ?? environment["FLEET_COORDINATOR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? GlobalOptions.defaultCoordinator
        var token: String?
        if let file = tokenFile ?? environment["FLEET_TOKEN_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            token = try Self.readToken(file)
        } else if let value = environment["FLEET_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
            token = value
        }
        return try CoordinatorSettings(coordinator: base, token: token, caFile: caFile, timeoutSeconds: timeout)
    }

    /// The token in `file`, trimmed; the error says why it cannot be read.
    static func readToken(_ file: String) throws -> String {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw FleetctlError.invalidInput("cannot read token file \(file): no such file")
        }
        guard !isDirectory.boolValue else {
            throw FleetctlError.invalidInput("cannot read token file \(file): it is a folder, not a file")
        }
        guard manager.isReadableFile(atPath: file), let data = manager.contents(atPath: file) else {
            throw FleetctlError.invalidInput("cannot read token file \(file): permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FleetctlError.invalidInput("cannot read token file \(file): not UTF-8 text")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw FleetctlError.invalidInput("token file \(file) is empty") }
        return trimmed
    }
}
