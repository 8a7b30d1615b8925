import Foundation
import Testing

@testable import FleetctlCore

/// `fleetctl completion` and `fleetctl manual`, checked by the real shells and roff.
@Suite struct ShellIntegrationTests {
    @Test func bashCompletionScriptLoadsInBash() async throws {
        let run = await fleetctl(["completion", "bash"])
        #expect(run.code == 0)
        #expect(run.stdout.contains("fleetctl"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleetctl-completion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("fleetctl.bash")
        try run.stdout.write(to: script, atomically: true, encoding: .utf8)
        // Sourcing registers a completion function for fleetctl; a syntax error fails here.
        let check = try runProcess("/bin/bash", ["--norc", "-c", "source \"$1\" && complete -p fleetctl", "bash", script.path])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("fleetctl"))
    }

    @Test func zshAndFishScriptsNameTheCommands() async {
        let zsh = await fleetctl(["completion", "zsh"])
        #expect(zsh.code == 0)
        #expect(zsh.stdout.hasPrefix("#compdef fleetctl"))
        #expect(zsh.stdout.contains("recordings"))
        let fish = await fleetctl(["completion", "fish"])
        #expect(fish.code == 0)
        #expect(fish.stdout.contains("complete -c 'fleetctl'"))
        let unknown = await fleetctl(["completion", "powershell"])
        #expect(unknown.code == FleetctlExitCode.usage)
    }

    @Test func manualRendersWithGroff() async throws {
        let run = await fleetctl(["manual"])
        #expect(run.code == 0)
        #expect(run.stdout.hasPrefix(".TH FLEETCTL 1"))
        #expect(run.stdout.contains(".SS \"fleetctl recordings\""))
        #expect(run.stdout.contains(".SS \"fleetctl restart recorder\""))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleetctl-manual-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("fleetctl.1")
        try run.stdout.write(to: page, atomically: true, encoding: .utf8)
        // groff warns (-ww) about anything it could not read; the rendered text keeps the help.
        let rendered = try runProcess("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-z", page.path])
        #expect(rendered.status == 0)
        #expect(rendered.output.isEmpty, "groff: \(rendered.output)")
        let text = try runProcess("/usr/bin/groff", ["-man", "-Tascii", page.path])
        #expect(text.output.contains("Show a station's recorded coverage and the gaps in it."))
    }

    @Test func roffEscapesRequestsAndBackslashes() {
        #expect(ManualPage.escape(".dangerous") == "\\&.dangerous")
        #expect(ManualPage.escape("'quote") == "\\&'quote")
        #expect(ManualPage.escape("a\\b") == "a\\eb")
        #expect(ManualPage.escape("A → B") == "A \\[u2192] B")
    }

    @Test func nameCompletionReadsTheCacheOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleetctl-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let environment = ["XDG_CACHE_HOME": dir.path]
        #expect(NameCompletion.candidates(.stations, prefix: "", environment: environment).isEmpty)
        NameCompletion.remember(.stations, ["ROST2", "ROST1", "NEST1", "ROST1"], environment: environment)
        NameCompletion.remember(.nodes, ["recordingpi"], environment: environment)
        #expect(NameCompletion.candidates(.stations, prefix: "RO", environment: environment) == ["ROST1", "ROST2"])
        #expect(NameCompletion.candidates(.nodes, prefix: "", environment: environment) == ["recordingpi"])
        // A damaged cache costs completion only.
        try Data("{not json".utf8).write(to: dir.appendingPathComponent("stationfleet/names.json"))
        #expect(NameCompletion.candidates(.stations, prefix: "", environment: environment).isEmpty)
    }
}

/// Runs `path` to its end; stdout and stderr together.
private func runProcess(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
