import Foundation

/// A position in one inventory file, 1-based like an editor shows it.
public struct SourcePosition: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The file path as the operator named it.
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COLUMN`
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in an inventory, with its position.
public struct Diagnostic: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public init(_ position: SourcePosition, _ message: String) {
        self.init(file: position.file, line: position.line, column: position.column, message: message)
    }

    /// `FILE:LINE:COLUMN: message`
    public var description: String { "\(file):\(line):\(column): \(message)" }

    /// Orders by file, then line, then column, then message.
    static func ordered(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        if a.file != b.file { return a.file < b.file }
        if a.line != b.line { return a.line < b.line }
        if a.column != b.column { return a.column < b.column }
        return a.message < b.message
    }
}

/// An invalid inventory: every problem found, each with its file, line and column.
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// All diagnostics, sorted by file, line and column, without repeats.
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        var seen = Set<Diagnostic>()
        self.diagnostics = diagnostics.filter { seen.insert($0).inserted }.sorted(by: Diagnostic.ordered)
    }

    /// One `FILE:LINE:COLUMN: message` line per diagnostic.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// Collects diagnostics while an inventory is read. Used on one thread only.
final class DiagnosticSink {
    private(set) var diagnostics: [Diagnostic] = []

    func report(_ position: SourcePosition, _ message: String) {
        diagnostics.append(Diagnostic(position, message))
    }

    var isEmpty: Bool { diagnostics.isEmpty }
}
