import ArgumentParser
import Crypto
import FleetProtocol
import Foundation

/// `fleetctl agent keygen|publish|builds`.
public struct AgentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Publish fleet-agent builds for the nodes to upgrade to.",
        discussion: """
        An agent upgrade is an inventory change: publish the new build, then set \
        `agentVersion:` under defaults, a site or a node and apply. The nodes whose \
        version changes get it through the site's staged rollout; a node whose new agent \
        does not come up healthy goes back to its previous agent by itself and fails the \
        rollout with agent-upgrade-failed.

        Examples:
          fleetctl agent keygen --out agent-signing.key
          fleetctl agent publish fleet-agent --version 0.2.0 --arch arm64 \\
              --signing-key agent-signing.key
          fleetctl agent builds
        """,
        subcommands: [AgentKeygenCommand.self, AgentPublishCommand.self, AgentBuildsCommand.self])

    public init() {}
}

/// `fleetctl agent keygen --out KEY`.
public struct AgentKeygenCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an Ed25519 key for signing agent builds.",
        discussion: """
        Writes a new private key to KEY (32 bytes, base64, mode 0600; an existing file is \
        never overwritten) and prints the public key (base64). Give the public key to the \
        agents in the file named by `fleet-agent run --upgrade-public-key FILE`: they then \
        install only builds signed with this key. Keep the private key off the coordinator: \
        `fleetctl agent publish --signing-key KEY` signs on your machine.

        Examples:
          fleetctl agent keygen --out ~/.config/stationfleet/agent-signing.key
          fleetctl agent keygen --out agent-signing.key > agent-signing.pub
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("File to write the private key to (must not exist).", valueName: "key"))
    public var out: String

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let key = Curve25519.Signing.PrivateKey()
        let text = key.rawRepresentation.base64EncodedString() + "\n"
        let fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "the file exists; keygen never overwrites a key" : String(cString: strerror(errno))
            throw FleetctlError.invalidInput("cannot write \(out): \(reason)")
        }
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == text.utf8.count, synced else {
            unlink(out)
            throw FleetctlError.invalidInput("cannot write \(out): \(String(cString: strerror(errno)))")
        }
        let publicKey = key.publicKey.rawRepresentation.base64EncodedString()
        if global.output == .table {
            console.stdout.line(publicKey)
            console.stderr.line("private key written to \(out) (mode 0600); the line above is the public key for the agents' --upgrade-public-key file")
        } else {
            try printMachine(AgentKeyOutput(keyFile: out, publicKey: publicKey), console)
        }
        return FleetctlExitCode.ok
    }
}

/// What `agent keygen -o json` prints.
struct AgentKeyOutput: Encodable {
    var keyFile: String
    var publicKey: String
}

/// `fleetctl agent publish BINARY --version V [--arch A] [--signing-key KEY]`.
public struct AgentPublishCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Upload a fleet-agent binary as a version the inventory can name.",
        discussion: """
        Streams BINARY to the coordinator with its SHA-256 (and, with --signing-key, the \
        Ed25519 signature over version, arch, digest and size); the coordinator checks the \
        digest and stores the build under VERSION and ARCH (default: this machine's \
        architecture). Publishing the same bytes again changes nothing; other bytes under a \
        published version and arch are refused: versions are immutable, so publish a fix \
        as a new version. Then set `agentVersion: VERSION` in the inventory and apply.

        Examples:
          fleetctl agent publish .build/release/fleet-agent --version 0.2.0
          fleetctl agent publish fleet-agent-arm64 --version 0.2.0 --arch arm64 \\
              --signing-key agent-signing.key
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The fleet-agent executable to publish.", valueName: "binary"))
    public var binary: String

    @Option(name: .long, help: ArgumentHelp("Version label, e.g. 0.2.0 (letters, digits, . - _ +).", valueName: "version"))
    public var version: String

    @Option(name: .long, help: ArgumentHelp("CPU architecture of BINARY: arm64 or x86_64 (default: \(AgentArch.current.rawValue), this machine's).",
                                            valueName: "arch"))
    public var arch: String?

    @Option(name: .customLong("signing-key"), help: ArgumentHelp("Private key from `fleetctl agent keygen` to sign the build with.",
                                                                 valueName: "key"))
    public var signingKey: String?

    public init() {}

    public func validate() throws {
        guard AgentBuild.isValidVersion(version) else {
            throw ValidationError("--version \(version): use 1–64 letters, digits, '.', '-', '_' or '+', starting with a letter or digit")
        }
        if let arch, AgentArch(name: arch) == nil {
            throw ValidationError("--arch \(arch): use arm64 or x86_64")
        }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let arch = self.arch.flatMap(AgentArch.init(name:)) ?? .current
        let key = try signingKey.map(Self.readKey)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: binary, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw FleetctlError.invalidInput("cannot read \(binary): no such file")
        }
        let (digest, size): (String, Int64)
        do {
            (digest, size) = try FileChunks.sha256(of: binary)
        } catch {
            throw FleetctlError.invalidInput("cannot read \(binary): \(CoordinatorClient.describe(error))")
        }
        guard size > 0 else { throw FleetctlError.invalidInput("\(binary) is empty") }
        guard size <= AgentBuild.maxSize else {
            throw FleetctlError.invalidInput("\(binary) is \(Formatting.bytes(UInt64(size))), over the \(Formatting.bytes(UInt64(AgentBuild.maxSize))) limit")
        }
        var build = AgentBuild(version: version, arch: arch.rawValue, sha256: digest, size: size)
        if let key {
            build.signature = try key.signature(for: Data(build.signedStatement.utf8)).base64EncodedString()
        }
        var query = [("sha256", digest)]
        if let signature = build.signature { query.append(("signature", signature)) }
        let path = Endpoints.agentBuildPublish.path(values: [version, arch.rawValue], query: query)
        let (response, view) = try await withClient(console) { client -> (CoordinatorClient.Response, AgentBuildView) in
            // The upload may take minutes over a slow link: the request deadline grows with the size.
            let seconds = max(global.timeout, 60 + Double(size) / 100_000)
            let response = try await client.upload(path, file: binary, size: size, timeoutSeconds: seconds)
            do {
                return (response, try WireCoding.decoder().decode(AgentBuildView.self, from: response.body))
            } catch {
                throw FleetctlError.badResponse(path: path, reason: CoordinatorClient.describe(error))
            }
        }
        if global.output == .table {
            let what = "agent \(view.build.version) for \(view.build.arch) (\(Formatting.bytes(UInt64(view.build.size))), sha256 \(view.build.sha256.prefix(12))…, \(view.build.signature == nil ? "unsigned" : "signed"))"
            if response.status == 201 {
                console.stdout.line("published \(what)")
                console.stdout.line("next: set `agentVersion: \(view.build.version)` in the inventory and apply")
            } else {
                console.stdout.line("\(what) was already published with these bytes; nothing changed")
            }
        } else {
            try printMachine(view, console)
        }
        return FleetctlExitCode.ok
    }

    /// The private key in `file`: base64 of the 32 raw bytes `agent keygen` writes.
    static func readKey(_ file: String) throws -> Curve25519.Signing.PrivateKey {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FleetctlError.invalidInput("cannot read signing key \(file)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw FleetctlError.invalidInput("signing key \(file) is not a key from `fleetctl agent keygen` (base64 of 32 bytes)")
        }
        return key
    }
}

/// `fleetctl agent builds` (also `fleetctl get agent-builds`).
public struct AgentBuildsCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "builds",
        abstract: "List the published agent builds and how many nodes want each.",
        discussion: """
        Table: VERSION ARCH SIZE SHA256 SIGNED PUBLISHED WANTED-BY. WANTED-BY counts the \
        nodes whose current assignment names the version (during a rollout: those already \
        released to it). -o json prints the list with the full digest and signature.

        Examples:
          fleetctl agent builds
          fleetctl agent builds -o json
        """)

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let builds = try await withClient(console) { client in try await client.call(Endpoints.agentBuilds) }
        switch global.output {
        case .table:
            if builds.isEmpty {
                console.stderr.line("No agent builds published (fleetctl agent publish BINARY --version V).")
            } else {
                console.stdout.write(ResourceTables.agentBuilds(builds, now: console.now()))
            }
        case .json, .yaml:
            try printMachine(builds, console)
        }
        return FleetctlExitCode.ok
    }
}

extension ResourceTables {
    /// `VERSION ARCH SIZE SHA256 SIGNED PUBLISHED WANTED-BY`; SHA256 is the first 12 digits.
    public static func agentBuilds(_ builds: [AgentBuildView], now: Date) -> String {
        var table = TextTable(header: ["VERSION", "ARCH", "SIZE", "SHA256", "SIGNED", "PUBLISHED", "WANTED-BY"])
        for view in builds {
            table.rows.append([
                view.build.version, view.build.arch, Formatting.bytes(UInt64(max(0, view.build.size))),
                String(view.build.sha256.prefix(12)), view.build.signature == nil ? "no" : "yes",
                "\(Formatting.age(now.timeIntervalSince(view.publishedAt))) ago", String(view.wantedBy),
            ])
        }
        return table.render()
    }
}
