import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A regular file found under a source folder.
public struct FoundFile: Sendable, Equatable {
    /// Absolute path.
    public var path: String
    /// Path relative to the walked root.
    public var relativePath: String
    public var size: UInt64
    public var mtime: Double
}

/// Recursive folder walk that never fails on one bad entry: unreadable folders and files are
/// returned as problems, hidden names (starting with ".") and non-regular files are skipped.
public enum FileWalker {
    public struct Problem: Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    public struct Result: Sendable {
        public var files: [FoundFile] = []
        public var problems: [Problem] = []
    }

    /// Walks `root` to at most `maxDepth` levels and `maxEntries` entries.
    public static func walk(_ root: String, maxDepth: Int = 32, maxEntries: Int = 2_000_000) -> Result {
        var result = Result()
        var stack: [(String, String, Int)] = [(root, "", 0)]
        var seen = 0
        while let (dir, rel, depth) = stack.popLast() {
            guard let handle = opendir(dir) else {
                result.problems.append(Problem(path: dir, reason: String(cString: strerror(errno))))
                continue
            }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafePointer(to: entry.pointee.d_name) { ptr in
                    ptr.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
                }
                if name == "." || name == ".." || name.hasPrefix(".") { continue }
                seen += 1
                if seen > maxEntries { return result }
                let path = dir.pathJoining(name)
                let relPath = rel.isEmpty ? name : rel + "/" + name
                guard let st = FileIO.stat(path) else {
                    result.problems.append(Problem(path: path, reason: String(cString: strerror(errno))))
                    continue
                }
                if st.isDirectory {
                    if depth + 1 <= maxDepth { stack.append((path, relPath, depth + 1)) }
                } else if st.isRegular {
                    if access(path, R_OK) != 0 {
                        result.problems.append(Problem(path: path, reason: String(cString: strerror(errno))))
                        continue
                    }
                    result.files.append(FoundFile(path: path, relativePath: relPath, size: st.size, mtime: st.mtime))
                }
            }
        }
        return result
    }
}
