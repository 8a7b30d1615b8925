import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Installs a verified download as `builds/VERSION-SHA12/{fleet-agent, build.json}` and keeps
/// only the running and the previous build.
///
/// ```swift
/// let binary = try BuildInstaller(paths: paths).install(part: part, build: build)
/// BuildInstaller(paths: paths).prune(keeping: [binary, RunningBuild.executablePath])
/// ```
public struct BuildInstaller: Sendable {
    public let paths: UpgradePaths

    public init(paths: UpgradePaths) {
        self.paths = paths
    }

    public struct InstallError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Moves `part` into place (0755) with its `build.json`; answers the binary's path.
    public func install(part: String, build: AgentBuild) throws -> String {
        let dir = paths.buildDir(for: build)
        let binary = dir.pathJoining("fleet-agent")
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            try AtomicFile.write(try WireCoding.encoder(pretty: true).encode(build),
                                 to: dir.pathJoining("build.json"), mode: 0o644)
            guard chmod(part, 0o755) == 0 else {
                throw InstallError(description: "chmod \(part): \(String(cString: strerror(errno)))")
            }
            try FileIO.commit(temp: part, final: binary)
        } catch let error as InstallError {
            throw error
        } catch {
            throw InstallError(description: "cannot install build \(build.version) into \(dir): \(error)")
        }
        return binary
    }

    /// Removes every installed build whose binary is not in `keeping`, and stale partial downloads
    /// other than `keepingPart`.
    public func prune(keeping: [String], keepingPart: String? = nil) {
        let keep = Set(keeping.map { $0.pathParent })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: paths.buildsDir)) ?? [] {
            let dir = paths.buildsDir.pathJoining(name)
            if !keep.contains(dir) { try? FileManager.default.removeItem(atPath: dir) }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: paths.downloadsDir)) ?? [] {
            let path = paths.downloadsDir.pathJoining(name)
            if path != keepingPart { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}
