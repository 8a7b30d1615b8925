import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl apply -f PATH [--dry-run] [--prune|--force]`.
public struct ApplyCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Declare the fleet: send the inventory to the coordinator.",
        discussion: """
        PATH is one YAML file or a folder; every *.yaml and *.yml file directly in the \
        folder is sent, in name order, and together they form one inventory. The \
        coordinator validates everything before it changes anything: an invalid \
        inventory is rejected as a whole, every error printed as FILE:LINE:COLUMN: \
        message, exit 1. Applying the same inventory twice changes nothing and makes \
        no new revision.

        ${NAME} in a value is taken from fleetctl's environment (an unset one is an \
        error at its FILE:LINE:COLUMN); $${ stays a literal ${.

        Deleting more than half of the stations, of the nodes or of the jobs (so also \
        all of them) needs --prune: without it the coordinator refuses, fleetctl lists \
        what would be deleted and exits 1. Smaller deletions apply without it.

        Prints each created, changed and deleted object (kind/name), the number \
        unchanged, and the new revision. -o json prints {"revision", "created", \
        "changed", "deleted", "unchanged", "dryRun", "fieldChanges", "deletionsNeedAllow"}.

        Examples:
          fleetctl apply -f inventory/
          fleetctl apply -f inventory/demo.yaml --dry-run
          fleetctl apply -f inventory/ --prune
          fleetctl apply -f inventory/ -o json
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(name: .short, help: ArgumentHelp("Inventory file or folder of YAML files.", valueName: "path"))
    public var file: String

    @Flag(name: .customLong("dry-run"), help: "Validate and show what would change, without applying.")
    public var dryRun = false

    @Flag(name: [.customLong("prune"), .customLong("allow-deletions")],
          help: "Allow deleting more than half (or all) of the stations, nodes or jobs.")
    public var prune = false

    @Flag(name: .customLong("force"), help: "Same as --prune.")
    public var force = false

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let result = try await InventorySubmission.send(path: file, dryRun: dryRun, allowDeletions: prune || force,
                                                        command: self, console: console)
        if global.output == .table {
            console.stdout.write(ApplyReport.apply(result))
        } else {
            try printMachine(result, console)
        }
        return FleetctlExitCode.ok
    }
}

/// `fleetctl diff -f PATH`, or `fleetctl diff --from REV [--to REV]` between stored revisions.
public struct DiffCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the changes apply would make, without applying them.",
        discussion: """
        Sends the inventory as a dry run and prints what apply would do: + created, \
        ~ changed (one line per changed field: ~ station/ROST1: recorder.camera.host \
        OLD → NEW), - deleted, then a summary line, and a note when the deletions \
        would need apply --prune.

        With --from REV (and --to REV, default the current revision) it compares two \
        stored revisions instead, in the same format; the coordinator loads both from \
        the inventories it stored. ${NAME} values are not stored (they may hold \
        secrets): fleetctl sends them from its environment, as for apply.

        Exit status (like diff(1)): 0 when there are no changes, 1 when there are \
        changes (or on a user error such as an invalid inventory), 3 when the \
        coordinator cannot be reached.

        Examples:
          fleetctl diff -f inventory/
          fleetctl diff -f inventory/ -o json
          fleetctl diff --from 3 --to 5
          fleetctl diff --from 3
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(name: .short, help: ArgumentHelp("Inventory file or folder of YAML files.", valueName: "path"))
    public var file: String?

    @Option(name: .customLong("from"), help: ArgumentHelp("Compare from this stored revision.", valueName: "rev"))
    public var from: Int?

    @Option(name: .customLong("to"), help: ArgumentHelp("Compare to this stored revision (default: the current one).",
                                                        valueName: "rev"))
    public var to: Int?

    public init() {}

    public func validate() throws {
        if from == nil, to != nil { throw ValidationError("--to needs --from REV") }
        if from != nil, file != nil { throw ValidationError("use either -f PATH or --from REV, not both") }
        if from == nil, file == nil { throw ValidationError("give -f PATH (local files) or --from REV (stored revisions)") }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        guard let file else {
            let diff = try await RevisionRequests.diff(from: from ?? 0, to: to, command: self, console: console)
            if global.output == .table {
                console.stdout.write(ApplyReport.revisionDiff(diff))
            } else {
                try printMachine(diff, console)
            }
            return diff.hasChanges ? FleetctlExitCode.userError : FleetctlExitCode.ok
        }
        let result = try await InventorySubmission.send(path: file, dryRun: true, allowDeletions: false,
                                                        command: self, console: console)
        if global.output == .table {
            console.stdout.write(ApplyReport.diff(result))
        } else {
            try printMachine(result, console)
        }
        return result.hasChanges ? FleetctlExitCode.userError : FleetctlExitCode.ok
    }
}

/// The request both `apply` and `diff` send.
enum InventorySubmission {
    static func send(path: String, dryRun: Bool, allowDeletions: Bool, command: some FleetctlRunnable,
                     console: Console) async throws -> ApplyResult {
        let files = try InventoryFiles.collect(path)
        try InventoryFiles.checkSize(files, path: path)
        let (variables, problems) = InventoryVariables.resolve(files, environment: console.environment)
        if !problems.isEmpty {
            for problem in problems { console.stderr.line(problem.description) }
            throw FleetctlError.invalidInput(
                "invalid inventory: \(problems.count) unknown variable\(problems.count == 1 ? "" : "s"), nothing applied")
        }
        let request = ApplyRequest(files: files, dryRun: dryRun, allowDeletions: allowDeletions,
                                   variables: variables.isEmpty ? nil : variables,
                                   by: OperatorIdentity.current(environment: console.environment))
        return try await explainingRejections(console) {
            try await command.withClient(console) { client in
                try await client.post(APIPath.apply, json: request, as: ApplyResult.self)
            }
        }
    }

    /// Runs an apply-like request (apply, rollout undo); an invalid inventory prints its
    /// positioned errors, a refused mass deletion what would be deleted and how to proceed.
    static func explainingRejections<R>(_ console: Console, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let FleetctlError.rejected(status, code, message, details) where code == ErrorCode.invalidInventory {
            // Each detail is already `FILE:LINE:COLUMN: message`; the summary line follows from main.
            for detail in details { console.stderr.line(detail) }
            let summary = details.isEmpty
                ? message
                : "\(details.count) error\(details.count == 1 ? "" : "s"), nothing applied"
            throw FleetctlError.rejected(status: status, code: code, message: summary, details: details)
        } catch let FleetctlError.rejected(status, code, message, details) where code == ErrorCode.deletionsNotAllowed {
            // The coordinator refused a mass deletion: show what would go and how to proceed.
            for name in details { console.stderr.line("- \(name) would be deleted") }
            let what = message.components(separatedBy: "; nothing applied").first ?? message
            throw FleetctlError.rejected(status: status, code: code, message: "\(what); nothing applied. "
                + "Check the list above, then run again with --prune to delete them", details: details)
        }
    }
}
