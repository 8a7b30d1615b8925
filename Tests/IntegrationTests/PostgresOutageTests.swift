import FleetProtocol
import Foundation
import Testing

/// PostgreSQL away at start and restarted under load, with a cluster of the test's own that it
/// stops and starts (`OwnPostgresCluster`): the coordinator waits for it without serving, then
/// serves; while it is down /readyz is 503, writes answer 503 within a bound, and everything
/// answered 2xx is in the database afterwards, without restarting the coordinator.
@Suite(.serialized, .enabled(if: OwnPostgresCluster.enabled,
                             "no own PostgreSQL cluster here (\(OwnPostgresCluster.missing ?? "")): outage tests skipped"))
struct PostgresOutageTests {
    @Test func aCoordinatorStartedBeforePostgresWaitsThenServes() async throws {
        try await withOwnPostgresCluster { cluster in
            let dir = try makeScratchDir("pg-late")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try (cluster.password + "\n").write(toFile: dir + "/pg-password", atomically: true, encoding: .utf8)
            let coordinator = try ManagedProcess(
                label: "coordinator", executable: try binary("fleet-coordinator"),
                arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir + "/data", "--database", cluster.url,
                            "--database-password-file", dir + "/pg-password"],
                logDir: dir)  // killed when released, should an expectation below throw

            // The clear line: which database, why, when the next attempt is; not serving meanwhile.
            let retried = await waitUntil(timeout: .seconds(20)) { coordinator.stderr.contains("attempt 2 failed") }
            #expect(retried, "\(coordinator.output)")
            let line = coordinator.stderr.split(separator: "\n").first { $0.contains("database unreachable") } ?? ""
            #expect(line.contains("127.0.0.1:\(cluster.port)"), "\(coordinator.output)")
            #expect(line.contains("connection refused"), "\(coordinator.output)")
            #expect(line.contains("next in 1 s"), "\(coordinator.output)")
            #expect(coordinator.isRunning)
            #expect(!coordinator.stdout.contains("listening on"))
            #expect(!(coordinator.stdout + coordinator.stderr).contains(cluster.password))

            try await cluster.start()
            let listening = try await coordinator.waitForLine(containing: "listening on", timeout: .seconds(40))
            let url = String(listening.split(separator: " ").last ?? "")
            let (ready, _) = await SimulatedNode.get(url + APIPath.readyz)
            #expect(ready == 200, "\(coordinator.output)")
            let node = SimulatedNode(name: "late", coordinator: url, reportsEvents: true)
            let joinToken = text(dir + "/data/join.token").trimmingCharacters(in: .whitespacesAndNewlines)
            try await node.register(joinToken: joinToken)
            #expect(await node.heartbeat() == 200, "\(coordinator.output)")
            #expect(coordinator.stderr.contains("database reachable after"), "\(coordinator.output)")
            #expect(await coordinator.stop(signal: SIGTERM) == 0, "\(coordinator.output)")
        }
    }

    @Test func aPostgresRestartUnderHeartbeatLoadLosesNoAnsweredWrite() async throws {
        try await withOwnPostgresCluster { cluster in
            try await cluster.start()
            try await withFleet("pg-restart") { fleet in
                let passwordFile = fleet.dir + "/pg-password"
                try (cluster.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
                try await fleet.startCoordinator(extraArguments: ["--database", cluster.url,
                                                                  "--database-password-file", passwordFile])
                let pid = fleet.coordinator?.pid
                // "busy" reports events in every heartbeat (they must be stored before the answer);
                // "quiet" reports liveness only (kept in memory, flushed every 2 s).
                let busy = SimulatedNode(name: "busy", coordinator: fleet.url, reportsEvents: true)
                let quiet = SimulatedNode(name: "quiet", coordinator: fleet.url, reportsEvents: false)
                try await busy.register(joinToken: fleet.joinToken)
                try await quiet.register(joinToken: fleet.joinToken)
                let load = Task { await busy.run(every: .milliseconds(300)) }
                let liveness = Task { await quiet.run(every: .milliseconds(300)) }
                defer { load.cancel(); liveness.cancel() }
                let flowing = await waitUntil(timeout: .seconds(20)) { await busy.acknowledgedEvents.count >= 3 }
                #expect(flowing, "\(fleet.logs)")

                let down = Date()
                try await cluster.stop()
                let notReady = await waitUntil(timeout: .seconds(20)) {
                    await SimulatedNode.get(fleet.url + APIPath.readyz).0 == 503
                }
                #expect(notReady, "\(fleet.logs)")
                let reason = await SimulatedNode.get(fleet.url + APIPath.readyz).1
                #expect(reason.contains("unreachable"), "\(reason)")
                let refused = await waitUntil(timeout: .seconds(20)) {
                    await busy.answers(since: down).contains { $0.status == 503 }
                }
                #expect(refused, "\(fleet.logs)")
                let heard = await waitUntil(timeout: .seconds(10)) {
                    await quiet.answers(since: down).contains { $0.status == 200 }
                }
                #expect(heard, "liveness-only heartbeats are answered while the database is down")
                await quiet.stop()
                await liveness.value
                let lastHeard = await quiet.answers.last { $0.status == 200 }?.sentAt ?? .distantPast
                #expect(lastHeard > down)

                try await cluster.start()
                let readyAgain = await waitUntil(timeout: .seconds(30)) {
                    await SimulatedNode.get(fleet.url + APIPath.readyz).0 == 200
                }
                #expect(readyAgain, "\(fleet.logs)")
                #expect(fleet.coordinator?.pid == pid && fleet.coordinator?.isRunning == true)
                let up = Date()
                let drained = await waitUntil(timeout: .seconds(30)) {
                    let after = await busy.answers(since: up).filter { $0.status == 200 }.count
                    return await busy.outbox.isEmpty && after >= 3
                }
                #expect(drained, "\(fleet.logs)")
                await busy.stop()
                await load.value

                // Bounded answers, 503 (never 500) while down; everything answered 2xx is stored.
                let answers = await busy.answers + quiet.answers
                #expect(!answers.contains { $0.status == 500 || $0.status == 0 }, "\(answers.map(\.status))")
                let slowest = answers.map(\.elapsed).max() ?? .zero
                #expect(slowest < .seconds(10), "slowest answer \(slowest)")
                let stored = Set(try await cluster.query("SELECT id FROM events WHERE node = 'busy'"))
                let acknowledged = await busy.acknowledgedEvents
                #expect(acknowledged.isSubset(of: stored), "answered 2xx but not stored: \(acknowledged.subtracting(stored))")
                let flushed = await waitUntil(timeout: .seconds(15)) {
                    guard let body = try? await cluster.query("SELECT body FROM snapshots WHERE name = 'quiet'").first,
                          let snapshot = try? WireCoding.decode(SnapshotLastHeartbeat.self, from: Data(body.utf8))
                    else { return false }
                    return snapshot.lastHeartbeat >= lastHeard.addingTimeInterval(-1)
                }
                #expect(flushed, "the liveness answered during the outage reached the database")
                #expect(fleet.coordinator?.stderr.contains("store writable again") == true, "\(fleet.logs)")
            }
        }
    }
}

/// The part of a stored node snapshot this test reads.
private struct SnapshotLastHeartbeat: Decodable {
    var lastHeartbeat: Date
}

/// Needs no PostgreSQL at all: nothing listens on the port.
@Suite struct PostgresStartWaitTests {
    @Test func sigtermWhileWaitingForTheDatabaseExitsCleanly() async throws {
        let dir = try makeScratchDir("pg-wait-stop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try OwnPostgresCluster.freePort()
        let coordinator = try ManagedProcess(
            label: "coordinator", executable: try binary("fleet-coordinator"),
            arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir + "/data",
                        "--database", "postgres://fleet@127.0.0.1:\(port)/fleet?sslmode=disable"],
            logDir: dir)
        let waiting = await waitUntil(timeout: .seconds(20)) { coordinator.stderr.contains("database unreachable") }
        #expect(waiting, "\(coordinator.output)")
        // libdispatch installs the SIGTERM handler asynchronously after the source resumes:
        // wait until the kernel shows it caught, or the signal would still take its default action.
        let caught = await waitUntil(timeout: .seconds(10)) { catchesSIGTERM(pid: coordinator.pid) }
        #expect(caught, "\(coordinator.output)")
        let status = await coordinator.stop(signal: SIGTERM, timeout: .seconds(10))
        #expect(status == 0, "\(coordinator.output)")
        #expect(coordinator.stderr.contains("stopped while waiting for the database"), "\(coordinator.output)")
        #expect(!coordinator.stdout.contains("listening on"))
    }
}

/// Whether the process has a handler for SIGTERM (`SigCgt` in /proc/PID/status, bit 14).
private func catchesSIGTERM(pid: Int32) -> Bool {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
          let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
    return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
}
