/// Versions of the StationFleet programs and of the wire protocol they speak.
public enum FleetVersion {
    /// The release of this build of StationFleet.
    public static let current = "0.1.0"
    /// The wire protocol version. Paths are prefixed with `/v1`.
    /// A peer ignores JSON fields it does not know, so adding fields is compatible.
    public static let protocolVersion = 1
    /// Prefix of every API path.
    public static let apiPrefix = "/v1"
}
