/// The exit codes of `fleetctl`, as docs/reference.md lists them.
public enum FleetctlExitCode {
    /// Success; also `diff` with no changes and `--help`.
    public static let ok: Int32 = 0
    /// User error: bad input, not found, 401/403/other 4xx, a failed or timed-out command,
    /// and `diff` when there are changes.
    public static let userError: Int32 = 1
    /// Usage error: the command line could not be parsed.
    public static let usage: Int32 = 2
    /// The coordinator is unreachable (refused, timeout, TLS failure) or answered with a 5xx.
    public static let unavailable: Int32 = 3
}
