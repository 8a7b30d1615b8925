import ArgumentParser
import Foundation

@main
struct FleetBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet-bench",
        abstract: "Load benchmarks for the coordinator, with simulated agents in one process.",
        discussion: """
            Each benchmark starts a real fleet-coordinator (from the same folder as fleet-bench) on 127.0.0.1 \
            with a fresh SQLite data dir, and measures a baseline in the same run so results are ratios.

            Examples:
              fleet-bench heartbeats --agents 10000 --seconds 10
              fleet-bench converge --agents 1000
              fleet-bench heartbeats --agents 10000 --database postgres://postgres@127.0.0.1:5432/postgres \\
                  --database-password-file pw --instances 2
              fleet-bench alerts --nodes 10000          # in process: alert evaluation cost, flapping site
              fleet-bench rollout --nodes 1000          # in process: a staged rollout, canary 1, maxParallel 100
            """,
        subcommands: [HeartbeatBench.self, ConvergeBench.self, AlertBench.self, RolloutBench.self]
    )
}

struct BenchOptions: ParsableArguments {
    @Option(help: "Number of simulated agents (each registers and gets its own credential).")
    var agents = 1000

    @Option(help: "Requests in flight at once.")
    var concurrency = 64

    @Option(help: "fleet-coordinator executable (default: next to fleet-bench).")
    var coordinator: String?

    @Option(help: ArgumentHelp("A PostgreSQL server (maintenance database URL, no password) instead of SQLite.",
                               discussion: "Each measurement creates a fresh database on it with psql and drops it afterwards."))
    var database: String?

    @Option(help: "File holding the PostgreSQL password.")
    var databasePasswordFile: String?

    @Option(help: "Coordinator instances sharing the PostgreSQL database; agents spread over them.")
    var instances = 1
}
