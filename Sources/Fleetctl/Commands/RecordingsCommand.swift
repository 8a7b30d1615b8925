import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl recordings STATION [--from T] [--to T]`.
public struct RecordingsCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "recordings",
        abstract: "Show a station's recorded coverage and the gaps in it.",
        discussion: """
        Prints the span, the seconds covered by valid segments, the number of \
        segments, a timeline with one line per hour (per day for spans over two \
        days; █ recorded, ░ a gap, so even a 10-second gap shows), and each gap \
        as FROM → TO (duration). Times are printed in UTC.

        T is ISO 8601 (2025-05-23T03:30:00Z), local time (2025-05-23T05:30:00, \
        2025-05-23), the compact form of segment names in local time \
        (20250523T033000), or relative to now (-24h, -7d, -30m, now).

        Examples:
          fleetctl recordings ROST1
          fleetctl recordings ROST1 --from -24h
          fleetctl recordings ROST2 --from 20250523T000000 --to 20250524T000000
          fleetctl recordings ROST1 --from 2025-05-23T03:30:00Z -o json
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The station.", valueName: "station"), completion: NameCompletion.stations)
    public var station: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Start of the span (default: the first segment).", valueName: "time"))
    public var from: TimeArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("End of the span (default: now).", valueName: "time"))
    public var to: TimeArgument?

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let now = console.now()
        let start = from?.resolve(now: now)
        let end = to?.resolve(now: now)
        if let start, let end, start >= end {
            throw FleetctlError.invalidInput("--from \(Formatting.time(start)) is not before --to \(Formatting.time(end))")
        }
        var query: [(String, String)] = []
        if let start { query.append(("from", Formatting.time(start))) }
        if let end { query.append(("to", Formatting.time(end))) }
        let path = RequestPath.withQuery(APIPath.recordings(RequestPath.segment(station)), query)
        let view = try await withClient(console) { client in
            try await client.get(path, as: RecordingsView.self)
        }
        if global.output == .table {
            console.stdout.write(RecordingsReport.render(view))
        } else {
            try printMachine(view, console)
        }
        return FleetctlExitCode.ok
    }
}
