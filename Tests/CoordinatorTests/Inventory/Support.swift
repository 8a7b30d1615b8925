import Foundation
import Testing
import FleetCoordinator
import FleetProtocol

/// Loads one YAML text as file `name`.
func loadOne(_ yaml: String, name: String = "fleet.yaml", environment: [String: String] = [:]) throws(InventoryError) -> Inventory {
    try Inventory.load(files: [ApplyRequest.File(path: name, content: yaml)], environment: environment)
}

/// The diagnostics for an inventory that must be invalid; records a test failure when it loads.
func diagnostics(_ files: [(String, String)], environment: [String: String] = [:],
                 sourceLocation: SourceLocation = #_sourceLocation) -> [Diagnostic] {
    do {
        _ = try Inventory.load(files: files.map { ApplyRequest.File(path: $0.0, content: $0.1) }, environment: environment)
        Issue.record("inventory loaded but should have failed", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.diagnostics
    }
}

func diagnostics(_ yaml: String, name: String = "fleet.yaml", environment: [String: String] = [:],
                 sourceLocation: SourceLocation = #_sourceLocation) -> [Diagnostic] {
    diagnostics([(name, yaml)], environment: environment, sourceLocation: sourceLocation)
}

/// The one diagnostic at `line:column`, if any.
func at(_ line: Int, _ column: Int, in list: [Diagnostic]) -> Diagnostic? {
    list.first { $0.line == line && $0.column == column }
}

/// A file of this package found by walking up from this source file (so it survives a move).
func packageFile(_ relative: String) throws -> ApplyRequest.File {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    for _ in 0..<6 {
        let candidate = directory.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: candidate.path) {
            return ApplyRequest.File(path: relative, content: try String(contentsOf: candidate, encoding: .utf8))
        }
        directory = directory.deletingLastPathComponent()
    }
    throw FixtureMissing(path: relative)
}

struct FixtureMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "fixture \(path) not found above \(#filePath)" }
}

/// A minimal valid fleet that error tests extend.
let baseFleet = """
sites:
  auklab: {}
nodes:
  pi1: {site: auklab}

"""
