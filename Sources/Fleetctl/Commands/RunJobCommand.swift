import ArgumentParser
import FleetProtocol
import Foundation

/// The job kinds `run` starts.
public enum JobKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    case archive, backup
}

/// `fleetctl run archive|backup NAME [--node NODE] [--wait] [--wait-timeout S]`.
public struct RunJobCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an archive or backup job now instead of at its next scheduled time.",
        discussion: """
        Queues the job on every node that runs it, or only on --node. With --wait, \
        fleetctl waits for all of them and prints each result: exit 0 when every \
        run succeeded, 1 with the reason when any failed, expired undelivered or \
        did not finish within --wait-timeout.

        Examples:
          fleetctl run archive video-to-nas
          fleetctl run backup birdnet-db --node emsn-zolder --wait
          fleetctl run backup sd-image --wait --wait-timeout 3600
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("archive or backup.", valueName: "kind"))
    public var kind: JobKind

    @Argument(help: ArgumentHelp("The job's name in the inventory.", valueName: "name"))
    public var name: String

    @Option(help: ArgumentHelp("Run it on this node only.", valueName: "node"))
    public var node: String?

    @Flag(help: "Wait until every node reports the result.")
    public var wait = false

    @Option(name: .customLong("wait-timeout"), help: ArgumentHelp("How long --wait waits, in seconds.", valueName: "seconds"))
    public var waitTimeout: Double = 600

    public init() {}

    public func validate() throws {
        guard waitTimeout > 0, waitTimeout.isFinite else { throw ValidationError("--wait-timeout must be a positive number of seconds") }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let path = RequestPath.withQuery(APIPath.jobRun(kind: kind.rawValue, name: RequestPath.segment(name)),
                                         node.map { [("node", $0)] } ?? [])
        let subject = "\(kind.rawValue) \(name)"
        return try await withClient(console) { client in
            let response = try await client.post(path, as: CommandsResponse.self)
            guard !response.commands.isEmpty else {
                throw FleetctlError.invalidInput("no node runs \(subject)\(node.map { " on \($0)" } ?? "")")
            }
            return try await follow(response.commands, client: client, console: console, wait: wait,
                                    waitTimeout: waitTimeout, subject: subject,
                                    queuedLine: { "\(subject) queued on \($0.node) (command \($0.id))" },
                                    finishedSubject: { "\(subject) on \($0.node)" },
                                    progress: { [kind, name] client, display in
                                        await JobProgressPoller(kind: kind, name: name, subject: subject,
                                                                nodes: response.commands.map(\.node))
                                            .run(client: client, display: display)
                                    })
        }
    }
}

/// Reads the job's progress from each node's view (`GET /v1/nodes/NAME`, which carries the
/// agent's last heartbeat) about once a second while `run --wait` waits — at most ~10
/// requests a second however many nodes run the job, and none for a node whose command
/// finished. Progress is only a display: a failed poll is skipped, never an error.
struct JobProgressPoller: Sendable {
    let kind: JobKind
    let name: String
    let subject: String
    let nodes: [String]
    var interval: Duration = .seconds(1)

    func run(client: CoordinatorClient, display: ProgressDisplay) async {
        let many = nodes.count > 10
        while !Task.isCancelled {
            let pending = nodes.filter { !display.isFinished($0) }
            for node in pending where !Task.isCancelled {
                if many { try? await Task.sleep(for: interval / 10) }
                guard let view = try? await client.get(APIPath.node(RequestPath.segment(node)), as: NodeView.self,
                                                       timeoutSeconds: 10),
                      let progress = Self.progress(of: view, kind: kind, name: name) else { continue }
                display.show(node, ProgressBar(label: "\(subject) on \(node)", progress: progress), now: Date())
            }
            if !many || pending.isEmpty { try? await Task.sleep(for: interval) }
        }
    }

    /// The progress of job `kind` `name` in a node's view; nil when it is not running there.
    static func progress(of view: NodeView, kind: JobKind, name: String) -> JobProgress? {
        view.jobs?.first { $0.job == name && $0.kind.rawValue == kind.rawValue }?.progress
    }
}
