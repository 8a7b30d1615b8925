import Foundation
import Yams

/// One inventory file composed into a YAML node tree.
///
/// Yams rejects a mapping with a repeated key outright, which would hide every
/// other problem in the file. To report all problems, the first occurrence of a
/// repeated key is renamed in the text (a sentinel prefix) and the file composed
/// again; `MappingReader` later strips the prefix and reports the repeat at the
/// second occurrence. Column shifts caused by the inserted prefix are undone
/// whenever a position is reported.
struct YAMLSource {
    /// A text insertion made to get past a duplicate key.
    struct Patch {
        var line: Int
        /// 1-based column where the prefix was inserted, in the text as patched so far.
        var column: Int
        var length: Int
    }

    static let sentinelPrefix = "__stationfleet_dup"
    static let maxPatches = 200

    let path: String
    let root: Yams.Node?
    private let patches: [Patch]

    /// Composes `content`, reporting syntax errors to `sink`. `root` is nil for
    /// an empty file or one that does not parse.
    init(path: String, content: String, sink: DiagnosticSink) {
        self.path = path
        var text = content
        var patches: [Patch] = []
        var root: Yams.Node?
        var attempt = 0
        while true {
            do {
                root = try Yams.compose(yaml: text)
                break
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                let mark = context.mark
                if attempt < Self.maxPatches,
                   let (patched, patch) = Self.renameKey(in: text, line: mark.line, column: mark.column, id: attempt) {
                    text = patched
                    patches.append(patch)
                    attempt += 1
                    continue
                }
                let position = Self.adjusted(line: mark.line, column: mark.column, patches: patches, file: path)
                sink.report(position, "duplicate key '\(duplicates.first ?? "?")'")
                root = nil
                break
            } catch let error as YamlError {
                let (line, column, message) = Self.describe(error, text: text)
                sink.report(Self.adjusted(line: line, column: column, patches: patches, file: path), message)
                root = nil
                break
            } catch {
                sink.report(SourcePosition(file: path, line: 1, column: 1), "cannot read YAML: \(error)")
                root = nil
                break
            }
        }
        self.root = root
        self.patches = patches
    }

    /// The position of `node` in the file as the operator wrote it.
    func position(of node: Yams.Node) -> SourcePosition {
        guard let mark = node.mark else { return SourcePosition(file: path, line: 1, column: 1) }
        return Self.adjusted(line: mark.line, column: mark.column, patches: patches, file: path)
    }

    /// The start of the file, for problems that concern it as a whole.
    var start: SourcePosition { SourcePosition(file: path, line: 1, column: 1) }

    /// The key as the operator wrote it (any sentinel prefix removed).
    static func originalKey(_ key: String) -> String {
        guard key.hasPrefix(sentinelPrefix),
              let end = key.range(of: "__", range: key.index(key.startIndex, offsetBy: sentinelPrefix.count)..<key.endIndex)
        else { return key }
        return String(key[end.upperBound...])
    }

    private static func adjusted(line: Int, column: Int, patches: [Patch], file: String) -> SourcePosition {
        var column = column
        for patch in patches.reversed() where patch.line == line && column > patch.column {
            column -= patch.length
        }
        return SourcePosition(file: file, line: max(line, 1), column: max(column, 1))
    }

    /// Inserts the sentinel at the start of the key scalar at `line:column`
    /// (after its opening quote if quoted). Nil when the text there is not a key we can rename safely.
    private static func renameKey(in text: String, line: Int, column: Int, id: Int) -> (String, Patch)? {
        let prefix = "\(sentinelPrefix)\(id)__"
        var scalars = Array(text.unicodeScalars)
        var currentLine = 1
        var index = 0
        while currentLine < line, index < scalars.count {
            if scalars[index] == "\n" { currentLine += 1 }
            index += 1
        }
        guard currentLine == line else { return nil }
        let start = index + column - 1
        guard start >= 0, start < scalars.count else { return nil }
        let first = scalars[start]
        var insertAt = start
        var insertColumn = column
        if first == "\"" || first == "'" {
            insertAt += 1
            insertColumn += 1
        } else {
            let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-./$+()"))
            guard safe.contains(first) else { return nil }
        }
        scalars.insert(contentsOf: Array(prefix.unicodeScalars), at: insertAt)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return (String(view), Patch(line: line, column: insertColumn, length: prefix.unicodeScalars.count))
    }

    /// Line, column and a one-line message for a Yams error.
    private static func describe(_ error: YamlError, text: String) -> (Int, Int, String) {
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return "YAML syntax error: \(problem)" }
            return "YAML syntax error: \(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return (mark.line, mark.column, withContext(problem, context))
        case let .reader(problem, offset, _, _):
            var line = 1
            var column = 1
            if let offset {
                for character in text.prefix(offset) {
                    if character == "\n" { line += 1; column = 1 } else { column += 1 }
                }
            }
            return (line, column, "cannot read YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return (context.mark.line, context.mark.column, "duplicate key '\(duplicates.first ?? "?")'")
        default:
            return (1, 1, "cannot read YAML: \(error)")
        }
    }
}
