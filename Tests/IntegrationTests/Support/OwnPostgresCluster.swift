import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL 15 cluster of one test's own, which the test stops and starts (the shared
/// FLEET_TEST_POSTGRES_URL server must not be stopped): its data dir in a scratch dir, its own
/// free port on 127.0.0.1, a SCRAM password, run as the postgres user through runuser like
/// scripts/test.sh. `withOwnPostgresCluster` removes it on every exit path.
///
/// Needs root (initdb refuses to run as root, so runuser is how it starts), runuser and the
/// PostgreSQL 15 binaries; without them the tests are skipped, unless FLEET_REQUIRE_POSTGRES=1
/// makes that a failure naming what is missing.
final class OwnPostgresCluster: @unchecked Sendable {
    static let bin = "/usr/lib/postgresql/15/bin"
    static let runuser = "/usr/sbin/runuser"
    static let required = ProcessInfo.processInfo.environment["FLEET_REQUIRE_POSTGRES"] == "1"

    /// What this machine lacks to run a cluster of its own; nil when it has it all.
    static let missing: String? = {
        if getuid() != 0 { return "the tests do not run as root (runuser is needed to start PostgreSQL as postgres)" }
        for tool in [runuser, bin + "/initdb", bin + "/pg_ctl", "/usr/bin/psql"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (apt-get install postgresql-15)"
        }
        if getpwnam("postgres") == nil { return "there is no postgres user" }
        return nil
    }()
    /// Run the tests when a cluster can be made, or when one is required (they then fail).
    static let enabled = missing == nil || required

    let dir: String
    let port: Int
    let password: String
    var dataDir: String { dir + "/data" }

    private init(dir: String, port: Int, password: String) {
        self.dir = dir
        self.port = port
        self.password = password
    }

    /// `--database` for the coordinator: no password in it.
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

    /// Makes (initdb) a cluster, not started.
    static func make() async throws -> OwnPostgresCluster {
        if let missing { throw HarnessError.notReady("own PostgreSQL cluster: \(missing)", output: "") }
        let dir = try makeScratchDir("own-pg")
        let password = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let cluster = OwnPostgresCluster(dir: dir, port: try freePort(), password: password)
        try password.write(toFile: dir + "/pwfile", atomically: true, encoding: .utf8)
        try await cluster.checked("/bin/chown", ["-R", "postgres:postgres", dir])
        try await cluster.asPostgres(bin + "/initdb", ["-D", cluster.dataDir, "-U", "postgres", "--pwfile=\(dir)/pwfile",
                                                       "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8",
                                                       "--no-sync"])
        return cluster
    }

    /// Starts the server and waits until it accepts connections. Through a shell that first
    /// closes every descriptor above stderr: the server would otherwise inherit the one by
    /// which Foundation's Process notices the child's exit, and `pg_ctl` would seem to run on.
    func start() async throws {
        let closeInherited = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec "$@""#
        try await checked("/bin/bash", ["-c", closeInherited, "bash", Self.runuser, "-u", "postgres", "--", Self.bin + "/pg_ctl",
                                        "-D", dataDir, "-l", dir + "/server.log", "-w", "-t", "60",
                                        "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(dir) -c fsync=off", "start"])
    }

    /// `pg_ctl stop -m fast`: sessions are ended, as in a restart for maintenance.
    func stop() async throws {
        try await asPostgres(Self.bin + "/pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Stops the server if it runs and removes the cluster.
    func destroy() async {
        if FileManager.default.fileExists(atPath: dataDir + "/postmaster.pid") {
            _ = try? await runCommand(Self.runuser, ["-u", "postgres", "--", Self.bin + "/pg_ctl", "-D", dataDir,
                                                     "-m", "immediate", "-w", "stop"], timeout: .seconds(30))
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Rows of one query, one line each (`psql -At`).
    func query(_ sql: String) async throws -> [String] {
        let outcome = try await runCommand("/usr/bin/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres",
                                                           "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                                           environment: ["PGPASSWORD": password], timeout: .seconds(30))
        guard outcome.status == 0 else { throw HarnessError.notReady("psql \(sql)", output: outcome.stderr) }
        return outcome.stdout.split(separator: "\n").map(String.init)
    }

    var serverLog: String { text(dir + "/server.log") }

    private func asPostgres(_ tool: String, _ arguments: [String]) async throws {
        try await checked(Self.runuser, ["-u", "postgres", "--", tool] + arguments)
    }

    private func checked(_ executable: String, _ arguments: [String]) async throws {
        let outcome = try await runCommand(executable, arguments, timeout: .seconds(90))
        guard outcome.status == 0 else {
            throw HarnessError.notReady("\(executable) \(arguments.joined(separator: " "))",
                                        output: outcome.stdout + outcome.stderr + serverLog)
        }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError.notReady("socket()", output: "") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw HarnessError.notReady("bind 127.0.0.1:0", output: "") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs `body` with a fresh cluster (made, not started) and removes it afterwards, also when `body` throws.
func withOwnPostgresCluster(_ body: (OwnPostgresCluster) async throws -> Void) async throws {
    let cluster = try await OwnPostgresCluster.make()
    do {
        try await body(cluster)
    } catch {
        await cluster.destroy()
        throw error
    }
    await cluster.destroy()
}
