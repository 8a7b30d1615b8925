import Crypto
@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Synchronization
import Testing

final class Counter: Sendable {
    let value = Mutex(0)
}

@Suite struct AgentUpgraderTests {
    static let payload = Data("#!/bin/sh\nexit 3\n".utf8)
    static func build(_ version: String = "0.2.0", payload: Data = payload) -> AgentBuild {
        AgentBuild(version: version, arch: AgentArch.current.rawValue,
                   sha256: SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined(), size: Int64(payload.count))
    }

    func upgrader(_ dir: RecorderScratch, key: Curve25519.Signing.PublicKey? = nil) -> AgentUpgrader {
        AgentUpgrader(paths: UpgradePaths(stateDir: dir.path), publicKey: key, deadlineSeconds: 120,
                      executable: "/usr/local/bin/fleet-agent", runningVersion: "0.1.0",
                      logger: Logger(label: "test"), retryDelay: .seconds(60))
    }

    /// A fetch that writes `payload` into the part file and counts its calls.
    func fetch(_ calls: Counter, payload: Data = payload) -> AgentUpgrader.Fetch {
        { _, part, progress in
            calls.value.withLock { $0 += 1 }
            try FileManager.default.createDirectory(atPath: (part as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try payload.write(to: URL(fileURLWithPath: part))
            await progress(Int64(payload.count), Int64(payload.count))
        }
    }

    @Test func downloadsInstallsAndBecomesReady() async throws {
        let dir = try RecorderScratch("upgrader")
        defer { dir.remove() }
        let upgrader = upgrader(dir)
        let calls = Counter()
        let target = AgentTarget(version: "0.2.0", builds: [Self.build()])
        var step = await upgrader.evaluate(target: target, fetch: fetch(calls))
        await waitUntil("installed", timeout: .seconds(5)) {
            step = await upgrader.evaluate(target: target, fetch: fetch(calls))
            return step != .idle
        }
        let binary = UpgradePaths(stateDir: dir.path).buildDir(for: Self.build()) + "/fleet-agent"
        #expect(step == .ready(Self.build(), binary: binary))
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        #expect(RunningBuild.installedBuild(executable: binary) == Self.build())
        #expect(calls.value.withLock { $0 } == 1)
        // The running version wanted: nothing to do, nothing reported.
        #expect(await upgrader.evaluate(target: AgentTarget(version: "0.1.0", builds: []), fetch: fetch(calls)) == .idle)
        #expect(await upgrader.status == nil)
    }

    @Test func noBuildForThisArchitectureFails() async throws {
        let dir = try RecorderScratch("upgrader")
        defer { dir.remove() }
        let upgrader = upgrader(dir)
        var other = Self.build()
        other.arch = AgentArch.allCases.first { $0 != .current }?.rawValue ?? "other"
        let calls = Counter()
        _ = await upgrader.evaluate(target: AgentTarget(version: "0.2.0", builds: [other]), fetch: fetch(calls))
        #expect(await upgrader.status?.reason == .noBuildForArch)
        #expect(calls.value.withLock { $0 } == 0)
    }

    @Test func unsignedBuildIsRefusedWithAKeyAndNotRetried() async throws {
        let dir = try RecorderScratch("upgrader")
        defer { dir.remove() }
        let upgrader = upgrader(dir, key: Curve25519.Signing.PrivateKey().publicKey)
        let calls = Counter()
        let target = AgentTarget(version: "0.2.0", builds: [Self.build()])
        _ = await upgrader.evaluate(target: target, fetch: fetch(calls))
        _ = await upgrader.evaluate(target: target, fetch: fetch(calls))
        #expect(await upgrader.status?.state == .failed)
        #expect(await upgrader.status?.reason == .signatureMissing)
        #expect(calls.value.withLock { $0 } == 0)  // nothing downloaded, nothing swapped
        #expect(UpgradeRecord.load(from: UpgradePaths(stateDir: dir.path).recordPath)?.phase == .failed)
    }

    @Test func rolledBackBuildIsReportedNotRetriedButAnotherBuildIs() async throws {
        let dir = try RecorderScratch("upgrader")
        defer { dir.remove() }
        let paths = UpgradePaths(stateDir: dir.path)
        try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        try UpgradeRecord(phase: .rolledBack, build: Self.build(), path: "/x", previousPath: "/usr/local/bin/fleet-agent",
                          previousVersion: "0.1.0", startedAt: Date(), deadlineSeconds: 120, reason: .exitedAtStart,
                          detail: "build 0.2.0 exited").save(to: paths.recordPath)
        let upgrader = upgrader(dir)
        let calls = Counter()
        _ = await upgrader.evaluate(target: AgentTarget(version: "0.2.0", builds: [Self.build()]), fetch: fetch(calls))
        #expect(await upgrader.status == AgentUpgradeStatus(version: "0.2.0", sha256: Self.build().sha256, state: .rolledBack,
                                                            reason: .exitedAtStart, detail: "build 0.2.0 exited"))
        #expect(calls.value.withLock { $0 } == 0)
        let fixed = Data("#!/bin/sh\nexit 0\n".utf8)
        _ = await upgrader.evaluate(target: AgentTarget(version: "0.2.1", builds: [Self.build("0.2.1", payload: fixed)]),
                                    fetch: fetch(calls, payload: fixed))
        await waitUntil("second download", timeout: .seconds(5)) { calls.value.withLock { $0 } == 1 }
        #expect(calls.value.withLock { $0 } == 1)
    }
}

@Suite struct TrialCommitTests {
    @Test func firstAcknowledgedHeartbeatCommitsOnlyTheBuildOnTrial() async throws {
        let dir = try RecorderScratch("commit")
        defer { dir.remove() }
        let paths = UpgradePaths(stateDir: dir.path)
        let build = AgentUpgraderTests.build()
        let running = paths.buildDir(for: build) + "/fleet-agent"
        try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        let trial = UpgradeRecord(phase: .trial, build: build, path: running, previousPath: "/usr/local/bin/fleet-agent",
                                  previousVersion: "0.1.0", startedAt: Date(), deadlineSeconds: 120)
        try trial.save(to: paths.recordPath)

        // Another binary (the old one, whose exec failed) must not commit the trial.
        let other = AgentUpgrader(paths: paths, publicKey: nil, deadlineSeconds: 120, executable: "/usr/local/bin/fleet-agent",
                                  runningVersion: "0.1.0", logger: Logger(label: "test"))
        await other.heartbeatAcknowledged()
        #expect(UpgradeRecord.load(from: paths.recordPath)?.phase == .trial)

        // An old build beyond the previous one is removed on commit; running and previous stay.
        let stale = paths.buildsDir + "/0.0.9-000000000000"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: paths.buildDir(for: build), withIntermediateDirectories: true)
        let upgraded = AgentUpgrader(paths: paths, publicKey: nil, deadlineSeconds: 120, executable: running,
                                     runningVersion: "0.2.0", logger: Logger(label: "test"))
        await upgraded.heartbeatAcknowledged()
        #expect(UpgradeRecord.load(from: paths.recordPath)?.phase == .committed)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: paths.buildDir(for: build)))
    }
}

@Suite struct AlreadyInstalledTests {
    /// An agent restarted between install and exec uses the installed build, no new download.
    @Test func anInstalledBuildIsNotDownloadedAgain() async throws {
        let dir = try RecorderScratch("installed")
        defer { dir.remove() }
        let paths = UpgradePaths(stateDir: dir.path)
        let build = AgentUpgraderTests.build()
        try FileManager.default.createDirectory(atPath: paths.downloadsDir, withIntermediateDirectories: true)
        try AgentUpgraderTests.payload.write(to: URL(fileURLWithPath: paths.partPath(sha256: build.sha256)))
        let binary = try BuildInstaller(paths: paths).install(part: paths.partPath(sha256: build.sha256), build: build)
        let upgrader = AgentUpgrader(paths: paths, publicKey: nil, deadlineSeconds: 120, executable: "/usr/local/bin/fleet-agent",
                                     runningVersion: "0.1.0", logger: Logger(label: "test"))
        let calls = Counter()
        let step = await upgrader.evaluate(target: AgentTarget(version: "0.2.0", builds: [build])) { _, _, _ in
            calls.value.withLock { $0 += 1 }
        }
        #expect(step == .ready(build, binary: binary))
        #expect(calls.value.withLock { $0 } == 0)
        // Bytes changed on disk: not used.
        try Data("#!/bin/sh\nexit 4\n".utf8).write(to: URL(fileURLWithPath: binary))
        let fresh = AgentUpgrader(paths: paths, publicKey: nil, deadlineSeconds: 120, executable: "/usr/local/bin/fleet-agent",
                                  runningVersion: "0.1.0", logger: Logger(label: "test"))
        #expect(await fresh.alreadyInstalled(build) == nil)
        #expect(!FileManager.default.fileExists(atPath: binary))
    }
}
