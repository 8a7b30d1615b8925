import FleetProtocol
import Foundation

/// Collects the inventory files `apply -f PATH` and `diff -f PATH` send.
public enum InventoryFiles {
    /// `path` is one file, or a folder whose `*.yaml`/`*.yml` files (not recursive) are taken in name order.
    /// Each file keeps the path as the operator gave it (`inventory/demo.yaml`), so that errors point at it.
    public static func collect(_ path: String) throws -> [ApplyRequest.File] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FleetctlError.invalidInput("cannot read \(path): no such file or directory")
        }
        guard isDirectory.boolValue else { return [try read(path)] }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: path)
        } catch {
            throw FleetctlError.invalidInput("cannot list the folder \(path): permission denied or unreadable")
        }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let files = names
            .filter { name in
                let lower = name.lowercased()
                return (lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")) && !name.hasPrefix(".")
            }
            .sorted()
            .map { prefix + $0 }
            .filter { file in
                var dir: ObjCBool = false
                return manager.fileExists(atPath: file, isDirectory: &dir) && !dir.boolValue
            }
        guard !files.isEmpty else {
            throw FleetctlError.invalidInput("no .yaml or .yml files in \(path)")
        }
        return try files.map(read)
    }

    static func read(_ path: String) throws -> ApplyRequest.File {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.isReadableFile(atPath: path) ? "unreadable" : "permission denied"
            throw FleetctlError.invalidInput("cannot read \(path): \(reason)")
        }
        guard let content = String(data: data, encoding: .utf8) else {
            throw FleetctlError.invalidInput("cannot read \(path): not UTF-8 text")
        }
        return ApplyRequest.File(path: path, content: content)
    }
}
