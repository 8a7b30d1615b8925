import Foundation
import FleetProtocol

extension DesiredState {
    /// Field-level changes of every object `changed` between `old` and `new`, keyed by `kind/name`.
    /// Paths are dotted (`recorder.camera.host`, `recordingpi.target` for a job on one node,
    /// `to[0]`); values are their JSON text without quotes. A field whose name looks like a
    /// secret (`password`, `secret`, `token`, but not `…File`) shows as `(hidden)`.
    public static func fieldChanges(old: DesiredState?, new: DesiredState) -> [String: [FieldChange]] {
        guard let old else { return [:] }
        let before = old.objects
        let after = new.objects
        var result: [String: [FieldChange]] = [:]
        for (name, newPrint) in after {
            guard let oldPrint = before[name], oldPrint != newPrint else { continue }
            let a = FieldFlattener.flatten(json: oldPrint)
            let b = FieldFlattener.flatten(json: newPrint)
            var changes: [FieldChange] = []
            for path in Set(a.keys).union(b.keys).sorted() where a[path] != b[path] {
                let hidden = FieldFlattener.isSecret(path)
                changes.append(FieldChange(path: path, old: a[path].map { hidden ? "(hidden)" : $0 },
                                           new: b[path].map { hidden ? "(hidden)" : $0 }))
            }
            if !changes.isEmpty { result[name] = changes }
        }
        return result
    }
}

/// Turns a fingerprint (sorted-key JSON) into `path → scalar text`.
enum FieldFlattener {
    typealias Value = JSONValue

    static func flatten(json: String) -> [String: String] {
        guard let value = try? JSONDecoder().decode(Value.self, from: Data(json.utf8)) else { return ["": json] }
        var out: [String: String] = [:]
        walk(value, path: "", into: &out)
        return out
    }

    private static func walk(_ value: Value, path: String, into out: inout [String: String]) {
        switch value {
        case .object(let object):
            if object.isEmpty { out[path] = "{}" }
            for (key, child) in object { walk(child, path: path.isEmpty ? key : "\(path).\(key)", into: &out) }
        case .array(let array):
            if array.isEmpty { out[path] = "[]" }
            for (index, child) in array.enumerated() { walk(child, path: "\(path)[\(index)]", into: &out) }
        case .string(let text): out[path] = text
        case .bool(let flag): out[path] = flag ? "true" : "false"
        case .int(let number): out[path] = String(number)
        case .double(let number): out[path] = String(number)
        case .null: out[path] = "null"
        }
    }

    /// A field that could hold a secret itself (not a file path to one).
    static func isSecret(_ path: String) -> Bool {
        let last = (path.split(separator: ".").last.map(String.init) ?? path).lowercased()
        let field = last.split(separator: "[").first.map(String.init) ?? last
        guard !field.hasSuffix("file") else { return false }
        return ["password", "secret", "token", "apikey"].contains { field.contains($0) }
    }
}
