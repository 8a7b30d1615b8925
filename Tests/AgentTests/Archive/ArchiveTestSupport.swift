import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A unique temporary folder removed by `cleanup()`.
struct TempDir {
    let path: String
    init(_ label: String = "archive") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func sub(_ name: String) throws -> String {
        let p = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

enum Fixture {
    /// Writes `size` pseudo-random bytes; sets mtime `ageSeconds` into the past.
    @discardableResult
    static func makeFile(_ path: String, size: Int, ageSeconds: Double = 3600) throws -> String {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let urandom = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? urandom.close() }
        let bytes = try urandom.read(upToCount: size) ?? Data()
        try bytes.write(to: URL(fileURLWithPath: path))
        setAge(path, ageSeconds)
        return try FileIO.sha256(of: path)
    }

    static func setAge(_ path: String, _ ageSeconds: Double) {
        let t = Date().timeIntervalSince1970 - ageSeconds
        var times = [timespec(tv_sec: Int(t), tv_nsec: 0), timespec(tv_sec: Int(t), tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }

    /// Regular, non-hidden files below `root` (relative paths).
    static func files(under root: String, includeHidden: Bool = false) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if !includeHidden && (rel as NSString).lastPathComponent.hasPrefix(".") { continue }
            if FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent(rel), isDirectory: &isDir), !isDir.boolValue {
                out.append(rel)
            }
        }
        return out.sorted()
    }

    static func partials(under root: String) -> [String] {
        files(under: root, includeHidden: true).filter { ($0 as NSString).lastPathComponent.contains(".partial-") }
    }

    /// The invariant every fault test ends with: each original file is either still present
    /// locally with its content, or verified in the ledger with a target whose hash matches.
    static func expectNothingLost(_ manifest: [String: String], ledger: Ledger, job: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (path, sha) in manifest {
            if FileIO.exists(path) {
                #expect(try FileIO.sha256(of: path) == sha, "local file changed: \(path)", sourceLocation: sourceLocation)
                continue
            }
            let entry = try ledger.entry(job: job, sourcePath: path)
            #expect(entry?.verifiedAt != nil, "deleted but not verified: \(path)", sourceLocation: sourceLocation)
            if let entry {
                #expect((try? FileIO.sha256(of: entry.targetPath)) == sha, "deleted and target differs: \(path)", sourceLocation: sourceLocation)
            }
        }
    }

    static func marked(_ root: String) throws -> String {
        try ArchiveJob.markTarget(root)
        return root
    }

    static var quietLogger: Logging.Logger {
        var l = Logging.Logger(label: "test")
        l.logLevel = .critical
        return l
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func waitUntil(timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Runs a command and returns (status, stdout).
@discardableResult
func shell(_ command: String) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

/// A small tmpfs mounted for one test (root only).
struct TmpfsMount {
    let path: String
    static let available: Bool = {
        guard getuid() == 0, let dir = try? TempDir("probe") else { return false }
        defer { dir.cleanup() }
        guard (try? shell("mount -t tmpfs -o size=1m tmpfs '\(dir.path)'"))?.status == 0 else { return false }
        _ = try? shell("umount '\(dir.path)'")
        return true
    }()

    init(in dir: TempDir, name: String, sizeKiB: Int) throws {
        path = try dir.sub(name)
        let r = try shell("mount -t tmpfs -o size=\(sizeKiB)k tmpfs '\(path)'")
        guard r.status == 0 else { throw TestFailure("mount tmpfs at \(path) failed") }
    }
    func remountReadOnly() throws {
        guard try shell("mount -o remount,ro '\(path)'").status == 0 else { throw TestFailure("remount ro failed") }
    }
    func unmount() { _ = try? shell("umount '\(path)' || umount -l '\(path)'") }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Path of a package executable built next to the tests.
func builtExecutable(_ name: String) -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    if let dir = ProcessInfo.processInfo.environment["FLEET_BIN_DIR"] { return dir + "/" + name }
    let besideTests = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().appendingPathComponent(name).path
    if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
    return root.appendingPathComponent(".build/debug/\(name)").path
}
