/// POSIX path-name helpers on `String`, replacing the `NSString` path API (`appendingPathComponent`,
/// `deletingLastPathComponent`, …), which lives in full Foundation: the agent links only
/// FoundationEssentials (issue: a small agent), and these are its only uses of `NSString`.
///
/// The semantics are NSString's (Darwin's) for the cases the fleet uses: repeated slashes
/// collapse, a trailing slash is dropped (except for the root `/`), the root keeps its slash.
/// The names differ from Foundation's so that code importing both never sees an ambiguity.
///
/// ```swift
/// "/srv/video/".pathJoining("ROST1")      // "/srv/video/ROST1"
/// "/srv/video/a.mkv".pathParent           // "/srv/video"
/// "/srv/video/a.mkv".pathLastName         // "a.mkv"
/// "a/b.tar.gz".pathExtensionName          // "gz"
/// "/a/./b/../c//".pathStandardized        // "/a/c"
/// ```
extension String {
    /// `self` and `component` joined by exactly one slash (NSString `appendingPathComponent`).
    /// An empty `self` gives `component`, an empty `component` gives `self` (both cleaned of
    /// repeated and trailing slashes).
    public func pathJoining(_ component: String) -> String {
        if component.isEmpty { return pathFixingSlashes }
        if isEmpty { return component.pathFixingSlashes }
        return (self + "/" + component).pathFixingSlashes
    }

    /// The path without its last component (NSString `deletingLastPathComponent`):
    /// `"/a/b"` → `"/a"`, `"/a"` → `"/"`, `"a"` → `""`, `"/"` → `"/"`, `""` → `""`.
    public var pathParent: String {
        let fixed = pathFixingSlashes
        if fixed == "/" || fixed.isEmpty { return fixed }
        guard let slash = fixed.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        if slash == fixed.utf8.startIndex { return "/" }
        return String(fixed[..<slash])
    }

    /// The last component (NSString `lastPathComponent`): `"/a/b/"` → `"b"`, `"/"` → `"/"`.
    public var pathLastName: String {
        let fixed = pathFixingSlashes
        if fixed == "/" { return fixed }
        guard let slash = fixed.utf8.lastIndex(of: UInt8(ascii: "/")) else { return fixed }
        return String(fixed[fixed.utf8.index(after: slash)...])
    }

    /// The extension of the last component without its dot (NSString `pathExtension`):
    /// `"a.b.c"` → `"c"`, `"a"` → `""`; a leading dot (`".hidden"`) is no extension.
    public var pathExtensionName: String {
        let name = pathLastName
        guard let dot = name.extensionDot else { return "" }
        return String(name[name.utf8.index(after: dot)...])
    }

    /// The path without the extension of its last component (NSString `deletingPathExtension`):
    /// `"/x/y.mkv"` → `"/x/y"`, `"a.tar.gz"` → `"a.tar"`, `".hidden"` unchanged.
    public var pathRemovingExtension: String {
        let fixed = pathFixingSlashes
        let name = fixed.pathLastName
        guard fixed != "/", let dot = name.extensionDot else { return fixed }
        let cut = name.utf8.distance(from: dot, to: name.utf8.endIndex)
        return String(decoding: fixed.utf8.dropLast(cut), as: UTF8.self)
    }

    /// The path reduced lexically (NSString `standardizingPath` without tilde expansion or symlink
    /// resolution): repeated slashes and `.` components after the first go away, and in an absolute
    /// path `..` removes the component before it (`/..` is `/`). A relative path keeps its `..`,
    /// as NSString does, since its parent is not known.
    public var pathStandardized: String {
        let fixed = pathFixingSlashes
        let absolute = fixed.hasPrefix("/")
        var parts: [Substring] = []
        for (index, part) in fixed.split(separator: "/").enumerated() {
            if part == "." && (absolute || index > 0) { continue }
            if part == ".." && absolute {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty && !fixed.isEmpty ? "." : joined
    }

    /// Repeated slashes collapsed to one, a trailing slash removed unless the path is `/`.
    var pathFixingSlashes: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        for byte in utf8 where !(byte == UInt8(ascii: "/") && bytes.last == UInt8(ascii: "/")) {
            bytes.append(byte)
        }
        if bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Index of the dot that starts the extension of a single component: the last dot, if it
    /// is not the component's first character (`.hidden`) and the component is not `..`.
    private var extensionDot: String.Index? {
        guard self != "..", let dot = utf8.lastIndex(of: UInt8(ascii: ".")), dot != utf8.startIndex else { return nil }
        return dot
    }
}
