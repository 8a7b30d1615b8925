import Foundation
@testable import FleetctlCore

/// One fleetctl invocation's outcome.
struct Invocation {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Runs fleetctl in-process with captured output and a controlled environment.
func fleetctl(_ arguments: [String], environment: [String: String] = ["FLEET_TOKEN": "test-admin-token"],
              now: Date = Date()) async -> Invocation {
    let out = TextOutput.buffer()
    let err = TextOutput.buffer()
    let code = await FleetctlMain.run(arguments: arguments, environment: environment, stdout: out, stderr: err, now: { now })
    return Invocation(code: code, stdout: out.text, stderr: err.text)
}

/// A fresh temporary folder; removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fleetctl-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Parses JSON output into a Foundation object.
func jsonObject(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
