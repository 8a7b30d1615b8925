import Foundation

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
/// The only way tests wait: on a condition with a deadline, never a bare sleep.
@discardableResult
func waitUntil(timeout: Duration, poll: Duration = .milliseconds(50),
               _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    var attempts = 0
    while ContinuousClock.now < deadline, attempts < 100_000 {
        if try await condition() { return true }
        attempts += 1
        try? await Task.sleep(for: poll)
    }
    return try await condition()
}

/// A fresh scratch folder under the system temp dir.
func makeScratchDir(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("stationfleet-\(label)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The package root, from this file's path.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

/// Where the built executables are: $FLEET_BIN_DIR, next to the test bundle, or .build/debug.
func binary(_ name: String) throws -> String {
    var candidates: [String] = []
    if let dir = ProcessInfo.processInfo.environment["FLEET_BIN_DIR"] { candidates.append(dir) }
    let argv0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
    var dir = argv0.deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(dir.path)
        dir.deleteLastPathComponent()
    }
    candidates.append(packageRoot + "/.build/debug")
    for candidate in candidates {
        let path = (candidate as NSString).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw HarnessError.missingBinary(name, searched: candidates)
}

enum HarnessError: Error, CustomStringConvertible {
    case missingBinary(String, searched: [String])
    case notReady(String, output: String)
    case http(String)

    var description: String {
        switch self {
        case .missingBinary(let name, let searched):
            return "\(name) not built (run `swift build` first); searched \(searched.joined(separator: ", "))"
        case .notReady(let what, let output): return "\(what) did not become ready; output:\n\(output)"
        case .http(let detail): return detail
        }
    }
}
