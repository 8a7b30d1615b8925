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

    /// Refuses files that together exceed what the coordinator accepts in one request
    /// (``ApplyRequest/maxBodyBytes``), naming the largest file and the limit.
    public static func checkSize(_ files: [ApplyRequest.File], path: String, limit: Int = ApplyRequest.maxBodyBytes) throws {
        let sizes = files.map { ($0.path, $0.content.utf8.count) }
        let total = sizes.reduce(0) { $0 + $1.1 }
        // JSON escaping and the request's own fields add a little; keep a margin of 1/16.
        guard total > limit - limit / 16 else { return }
        let mib = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        let limitText = "\(limit / 1_048_576) MiB"
        if let largest = sizes.max(by: { $0.1 < $1.1 }), largest.1 > limit - limit / 16 || files.count == 1 {
            throw FleetctlError.invalidInput("\(largest.0) is \(mib(largest.1)), over the coordinator's request limit of \(limitText); nothing sent")
        }
        throw FleetctlError.invalidInput("the inventory in \(path) is \(mib(total)) in \(files.count) files, over the coordinator's request limit of \(limitText); nothing sent")
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
