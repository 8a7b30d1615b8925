import Foundation

/// Who runs `fleetctl`, as `USER@host`: recorded with acknowledgements and silences.
///
/// The user comes from `$USER` (or `$LOGNAME`), the host from `$HOSTNAME` when exported,
/// otherwise the machine's host name; both from the environment the invocation was given,
/// so tests pass their own.
///
/// ```swift
/// OperatorIdentity.current(environment: ["USER": "anna", "HOSTNAME": "fieldlaptop"])  // "anna@fieldlaptop"
/// ```
public enum OperatorIdentity {
    public static func current(environment: [String: String]) -> String {
        let user = nonEmpty(environment["USER"]) ?? nonEmpty(environment["LOGNAME"]) ?? "unknown"
        let host = nonEmpty(environment["HOSTNAME"]) ?? nonEmpty(ProcessInfo.processInfo.hostName) ?? "localhost"
        return "\(user)@\(host)"
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}
