/// The body of every 4xx/5xx answer: `{"error": {"code": …, "message": …}}`.
public struct ErrorEnvelope: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        /// A stable machine-readable code such as `unauthorized` or `invalid_inventory`.
        public var code: String
        /// One clear line for a human.
        public var message: String
        /// Further lines, for example every inventory error as `FILE:LINE:COLUMN: message`.
        public var details: [String]?

        public init(code: String, message: String, details: [String]? = nil) {
            self.code = code
            self.message = message
            self.details = details
        }
    }

    public var error: Body

    public init(code: String, message: String, details: [String]? = nil) {
        self.error = Body(code: code, message: message, details: details)
    }
}

/// Well-known error codes.
public enum ErrorCode {
    public static let badRequest = "bad_request"
    public static let unauthorized = "unauthorized"
    public static let forbidden = "forbidden"
    public static let notFound = "not_found"
    public static let conflict = "conflict"
    public static let payloadTooLarge = "payload_too_large"
    public static let invalidInventory = "invalid_inventory"
    /// 409: the apply would delete more than half (or all) of the stations, nodes or jobs and
    /// did not set `allowDeletions`; `details` lists every object it would delete.
    public static let deletionsNotAllowed = "deletions_not_allowed"
    public static let unavailable = "unavailable"
    public static let internalError = "internal"
    public static let timeout = "timeout"
    /// 429: slow down; the `Retry-After` header says for how long.
    public static let rateLimited = "rate_limited"
    /// 409 on a heartbeat: the coordinator does not hold the status a ``StatusDelta`` is
    /// relative to (it restarted, or the agent failed over to it); send a full report.
    public static let statusBaseUnknown = "status_base_unknown"
    /// 507: the coordinator's disk is full; nothing was stored.
    public static let storageFull = "storage_full"
}
