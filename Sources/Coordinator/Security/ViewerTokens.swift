import FleetProtocol
import Foundation
import Synchronization

/// Read-only tokens, created with `fleetctl token create --role viewer`. Only their SHA-256
/// hashes are kept, one per line with a name and creation time, in `viewer.tokens` (mode
/// 0600) in the data dir; the token itself is shown once, to the admin who created it.
///
/// ```swift
/// let viewers = try ViewerTokens.load(path: dataDir + "/viewer.tokens")
/// let created = try viewers.create(name: "field laptop")
/// viewers.isViewer(created.token)   // true
/// ```
public final class ViewerTokens: Sendable {
    public let path: String
    private let entries: Mutex<[Entry]>

    struct Entry: Sendable {
        var hash: String
        var name: String
        var createdAt: Date
    }

    init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = Mutex(entries)
    }

    /// Reads `path` (a missing file is no viewer tokens yet).
    public static func load(path: String) throws -> ViewerTokens {
        guard FileManager.default.fileExists(atPath: path) else { return ViewerTokens(path: path, entries: []) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TokenFileError.unreadable(path: path, reason: error.localizedDescription)
        }
        var entries: [Entry] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, fields[0].count == 64, let createdAt = WireCoding.parseDate(fields[2]) else {
                throw TokenFileError.unreadable(path: path, reason: "malformed line: expected HASH<TAB>NAME<TAB>TIME")
            }
            entries.append(Entry(hash: fields[0], name: fields[1], createdAt: createdAt))
        }
        return ViewerTokens(path: path, entries: entries)
    }

    /// True for a token created here.
    func isViewer(_ token: String) -> Bool {
        let hash = Tokens.hash(token)
        let hashes = entries.withLock { $0.map(\.hash) }
        var found = false
        for candidate in hashes where Tokens.constantTimeEquals(hash, candidate) { found = true }
        return found
    }

    /// A new viewer token: its hash is appended to the file (rewritten atomically) before it is returned.
    func create(name: String, now: Date = Date()) throws -> CreatedViewerToken {
        let token = Tokens.generate(prefix: "sfv_")
        let clean = String(name.filter { !$0.isNewline && $0 != "\t" }.prefix(100))
        try entries.withLock { entries in
            var updated = entries
            updated.append(Entry(hash: Tokens.hash(token), name: clean, createdAt: now))
            let text = updated.map { "\($0.hash)\t\($0.name)\t\($0.createdAt.formatted(.iso8601))\n" }.joined()
            try CoordinatorSecrets.writeAtomically(path, text)
            entries = updated
        }
        return CreatedViewerToken(token: token, name: clean, role: .viewer, createdAt: now)
    }
}
