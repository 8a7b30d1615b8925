import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl rollout history|undo|status|pause|resume|promote|abort`.
public struct RolloutCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Inventory revisions and staged rollouts: list, undo, watch and steer them.",
        discussion: """
        Every apply that changes something is a revision: the coordinator keeps its \
        inventory files, a content hash, who applied it and when. With a rollout: block \
        in the inventory a revision reaches its nodes in stages (canaries, then batches), \
        each judged by the node's health; status shows where it is.

        Examples:
          fleetctl rollout history
          fleetctl rollout undo
          fleetctl rollout undo --to 3
          fleetctl rollout status --watch
          fleetctl rollout promote
        """,
        subcommands: [RolloutHistoryCommand.self, RolloutUndoCommand.self, RolloutStatusCommand.self,
                      RolloutPauseCommand.self, RolloutResumeCommand.self, RolloutPromoteCommand.self,
                      RolloutAbortCommand.self])

    public init() {}
}

/// `fleetctl rollout history [-o json|yaml]`.
public struct RolloutHistoryCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the applied revisions, newest first.",
        discussion: """
        Table: REV APPLIED AUTHOR HASH CHANGES NOTE. AUTHOR is USER@host as the client \
        sent it, with the credential in brackets; HASH the first 12 hex digits of the \
        content hash (equal content, equal hash); CHANGES +created ~changed -deleted; \
        NOTE says which revision an undo re-applied. Revisions stored before revisions \
        kept their inventory show - for what they lack. -o json prints the list as the \
        coordinator answers GET /v1/revisions.

        Examples:
          fleetctl rollout history
          fleetctl rollout history -o json
        """)

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let history = try await withClient(console) { client in try await client.call(Endpoints.revisions) }
        if global.output == .table {
            console.stdout.write(history.isEmpty ? "no revisions yet: nothing has been applied\n" : Self.table(history))
        } else {
            try printMachine(history, console)
        }
        return FleetctlExitCode.ok
    }

    /// `REV APPLIED AUTHOR HASH CHANGES NOTE`, one row per revision in the given order.
    static func table(_ history: [RevisionView]) -> String {
        var table = TextTable(header: ["REV", "APPLIED", "AUTHOR", "HASH", "CHANGES", "NOTE"])
        for revision in history {
            table.rows.append([
                String(revision.revision), Formatting.time(revision.appliedAt), revision.authorText,
                revision.shortHash, revision.changeSummary, revision.undoOf.map { "undo of \($0)" } ?? "-",
            ])
        }
        return table.render()
    }
}

/// `fleetctl rollout undo [--to REV] [--prune]`.
public struct RolloutUndoCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Apply an earlier revision's inventory again, as a new revision.",
        discussion: """
        The coordinator re-applies the inventory it stored with revision REV (default: \
        the one before the current) through the same path as apply: it is validated \
        again, secret files are checked, and deleting more than half of the stations, \
        nodes or jobs needs --prune. What changes becomes a new revision that records \
        "undo of REV"; the output is the same as apply's. When the current inventory \
        already equals REV's, nothing changes and the exit status is 0. ${NAME} values \
        are not stored (they may hold secrets): fleetctl sends them from its \
        environment, as for apply. An unknown revision is an error (exit 1).

        Examples:
          fleetctl rollout undo
          fleetctl rollout undo --to 3
          fleetctl rollout undo --to 1 --prune
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(name: .customLong("to"), help: ArgumentHelp("The revision to return to (default: the one before the current).",
                                                        valueName: "rev"))
    public var to: Int?

    @Flag(name: [.customLong("prune"), .customLong("allow-deletions")],
          help: "Allow deleting more than half (or all) of the stations, nodes or jobs.")
    public var prune = false

    @Flag(name: .customLong("force"), help: "Same as --prune.")
    public var force = false

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let (target, result) = try await withClient(console) { client -> (Int, ApplyResult) in
            let current = try await RevisionRequests.current(client)
            let target = to ?? current - 1
            guard target >= 1 else {
                throw FleetctlError.invalidInput(
                    "revision \(current) is the first: there is no earlier revision to undo to")
            }
            let stored = try await client.call(Endpoints.revision, String(target))
            let variables = try RevisionRequests.variables(for: stored.files ?? [], console: console)
            let request = ReapplyRequest(by: OperatorIdentity.current(environment: console.environment),
                                         allowDeletions: prune || force, variables: variables)
            let result = try await InventorySubmission.explainingRejections(console) {
                try await client.call(Endpoints.revisionReapply, String(target), body: request)
            }
            return (target, result)
        }
        if global.output != .table {
            try printMachine(result, console)
        } else if result.hasChanges {
            console.stdout.write(ApplyReport.apply(result))
            console.stdout.line("re-applied the inventory of revision \(target)")
        } else {
            console.stdout.line("nothing to change: revision \(result.revision) already has the content of revision \(target)")
        }
        return FleetctlExitCode.ok
    }
}

/// Requests about stored revisions shared by `rollout undo` and `diff --from`.
enum RevisionRequests {
    /// The current revision; an error when nothing has been applied.
    static func current(_ client: CoordinatorClient) async throws -> Int {
        guard let newest = try await client.call(Endpoints.revisions).first else {
            throw FleetctlError.invalidInput("nothing has been applied yet: there are no revisions")
        }
        return newest.revision
    }

    /// The values of the `${NAME}` references in stored files, from fleetctl's environment;
    /// unset ones are printed as `FILE:LINE:COLUMN: unknown variable …` and end the command.
    static func variables(for files: [ApplyRequest.File], console: Console) throws -> [String: String]? {
        let (values, problems) = InventoryVariables.resolve(files, environment: console.environment)
        if !problems.isEmpty {
            for problem in problems { console.stderr.line(problem.description) }
            throw FleetctlError.invalidInput(
                "the stored inventory references \(problems.count) variable\(problems.count == 1 ? "" : "s") "
                    + "not set in fleetctl's environment (their values are not stored); nothing done")
        }
        return values.isEmpty ? nil : values
    }

    /// `diff --from REV [--to REV]`: the coordinator compares the two stored inventories.
    static func diff(from: Int, to: Int?, command: some FleetctlRunnable, console: Console) async throws
        -> RevisionDiffView {
        try await command.withClient(console) { client in
            let old = try await client.call(Endpoints.revision, String(from))
            let toNumber: Int
            if let to { toNumber = to } else { toNumber = try await current(client) }
            let new = toNumber == from ? old : try await client.call(Endpoints.revision, String(toNumber))
            let variables = try variables(for: (old.files ?? []) + (new.files ?? []), console: console)
            return try await InventorySubmission.explainingRejections(console) {
                try await client.call(Endpoints.revisionDiff, String(from),
                                      body: RevisionDiffRequest(to: toNumber, variables: variables))
            }
        }
    }
}
