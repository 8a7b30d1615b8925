import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The agent's upgrade files under `STATE/agent/`.
///
/// ```swift
/// let paths = UpgradePaths(stateDir: "/var/lib/stationfleet/agent")
/// paths.recordPath      // …/agent/upgrade.json
/// paths.partPath(sha256: build.sha256)   // …/agent/downloads/SHA.part
/// ```
public struct UpgradePaths: Sendable, Equatable {
    public let root: String

    public init(stateDir: String) {
        root = stateDir.pathJoining("agent")
    }

    public var recordPath: String { file("upgrade.json") }
    public var handoffPath: String { file("handoff.json") }
    public var downloadsDir: String { file("downloads") }
    public var buildsDir: String { file("builds") }

    public func partPath(sha256: String) -> String {
        downloadsDir.pathJoining("\(sha256).part")
    }

    /// `builds/VERSION-SHA12`.
    public func buildDir(for build: AgentBuild) -> String {
        buildsDir.pathJoining("\(build.version)-\(build.sha256.prefix(12))")
    }

    public func file(_ name: String) -> String { root.pathJoining(name) }
}

/// What this process is: its executable and the version it reports.
public enum RunningBuild {
    /// The real path of this process's executable (`/proc/self/exe`).
    public static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 {
            let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return path.hasSuffix(" (deleted)") ? String(path.dropLast(10)) : path
        }
        return realPath(CommandLine.arguments.first ?? "fleet-agent")
    }

    /// `realpath(3)`, or the path unchanged when it cannot be resolved.
    public static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The `build.json` next to `executable` when it runs from `builds/`, else nil.
    public static func installedBuild(executable: String) -> AgentBuild? {
        let dir = executable.pathParent
        guard dir.pathParent.hasSuffix("/agent/builds"),
              let data = FileManager.default.contents(atPath: dir.pathJoining("build.json"))
        else { return nil }
        return try? WireCoding.decoder().decode(AgentBuild.self, from: data)
    }

    /// The version this agent reports: its installed build's, or the compiled-in one.
    public static func version(executable: String = executablePath) -> String {
        installedBuild(executable: executable)?.version ?? FleetVersion.current
    }
}
