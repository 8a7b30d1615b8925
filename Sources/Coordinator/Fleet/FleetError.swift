/// Domain errors of the coordinator's fleet logic. The API layer maps each to an HTTP status.
public enum FleetError: Error, CustomStringConvertible, Equatable {
    case notFound(kind: String, name: String)
    case conflict(String)
    case badRequest(String)
    case invalidInventory(diagnostics: [String])
    /// 409: the apply deletes more than ``DeletionGuard`` allows without `allowDeletions`;
    /// `deleted` is every object (`kind/name`) it would delete.
    case deletionsNotAllowed(message: String, deleted: [String])
    case forbidden(String)
    /// 429: the caller must wait `retryAfterSeconds`.
    case tooManyRequests(String, retryAfterSeconds: Int)
    /// 409 `status_base_unknown`: a delta heartbeat against a status this coordinator does not hold.
    case statusBaseUnknown(String)

    public var description: String {
        switch self {
        case .notFound(let kind, let name): return "\(kind) \(name) not found"
        case .conflict(let message), .badRequest(let message), .forbidden(let message), .statusBaseUnknown(let message):
            return message
        case .tooManyRequests(let message, _), .deletionsNotAllowed(let message, _): return message
        case .invalidInventory(let diagnostics):
            return "inventory has \(diagnostics.count) error\(diagnostics.count == 1 ? "" : "s")"
        }
    }
}

/// Whether a node whose name the inventory does not list may register.
public enum RegistrationPolicy: String, Sendable, CaseIterable {
    /// Any valid name may register; it shows as a node without assignment until the
    /// inventory names it (`fleetctl node delete` removes it).
    case open
    /// Only names in the applied inventory may register.
    case inventory
}
