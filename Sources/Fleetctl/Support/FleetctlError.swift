import Foundation

/// Every failure `fleetctl` reports. Each renders as one line for stderr and maps to an exit code.
public enum FleetctlError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The coordinator could not be reached: connection refused, timeout, TLS failure.
    case unreachable(coordinator: String, reason: String)
    /// The coordinator answered with a 5xx.
    case serverError(status: Int, message: String)
    /// The coordinator answered with a 4xx error envelope (or a 4xx without one).
    case rejected(status: Int, code: String, message: String, details: [String])
    /// The coordinator answered 2xx with a body `fleetctl` cannot read.
    case badResponse(path: String, reason: String)
    /// Something answered at the URL, but not a coordinator: a 4xx without the JSON error
    /// envelope, or a non-JSON success (an HTML page, another service).
    case notCoordinator(url: String, status: Int, contentType: String)
    /// Bad input on the operator's side: an unreadable file, a bad URL, a bad time.
    case invalidInput(String)
    /// A command that ran on a node failed, expired or was not finished in time.
    case commandFailed(String)

    /// The process exit code for this failure (see ``FleetctlExitCode``).
    public var exitCode: Int32 {
        switch self {
        case .unreachable, .serverError, .badResponse, .notCoordinator: return FleetctlExitCode.unavailable
        case .rejected, .invalidInput, .commandFailed: return FleetctlExitCode.userError
        }
    }

    /// One line, without the `fleetctl: ` prefix.
    public var description: String {
        switch self {
        case let .unreachable(coordinator, reason):
            return "coordinator \(coordinator) unreachable: \(reason)"
        case let .serverError(status, message):
            return "coordinator error (HTTP \(status)): \(message)"
        case let .rejected(status, code, message, _):
            let label = code.isEmpty ? "HTTP \(status)" : code.replacingOccurrences(of: "_", with: " ")
            var line = message.lowercased().hasPrefix(label.lowercased()) ? message : "\(label): \(message)"
            if status == 401 || code == "unauthorized" {
                line += " (give the admin token with --token-file, FLEET_TOKEN_FILE or FLEET_TOKEN)"
            }
            return line
        case let .notCoordinator(url, status, contentType):
            let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return "\(url) answered but is not a StationFleet coordinator (HTTP \(status), \(type.isEmpty ? "no content type" : type))"
        case let .badResponse(path, reason):
            return "unexpected answer from the coordinator to \(path): \(reason)"
        case let .invalidInput(message), let .commandFailed(message):
            return message
        }
    }
}

extension String {
    /// The first line, trimmed, so that a multi-line message never breaks the one-line rule.
    var firstLine: String {
        let line = split(whereSeparator: \.isNewline).first.map(String.init) ?? self
        return line.trimmingCharacters(in: .whitespaces)
    }
}
