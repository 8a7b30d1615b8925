import Foundation

/// Path templates (`{node}`, `{station}`, `{yyyy}`, `{mm}`, `{dd}`) and the target-presence marker.
public enum TargetTemplate {
    /// Name of the marker file that proves a target is the real (mounted) target.
    public static let markerName = ".stationfleet-target"

    /// The template's longest static folder prefix before the first `{`
    /// (`/mnt/nas/video/{station}/{yyyy}` → `/mnt/nas/video`).
    public static func root(of template: String) -> String {
        guard let brace = template.firstIndex(of: "{") else {
            let trimmed = template.hasSuffix("/") && template.count > 1 ? String(template.dropLast()) : template
            return trimmed
        }
        let prefix = String(template[..<brace])
        guard let slash = prefix.lastIndex(of: "/") else { return "." }
        let root = String(prefix[..<slash])
        return root.isEmpty ? "/" : root
    }

    /// Expands a template; `{station}` is left as-is when `station` is nil (the caller checks with `isResolved`).
    public static func expand(_ template: String, station: String?, date: Date, node: String? = nil,
                              calendar: Calendar = .current) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        var s = template
        s = s.replacingOccurrences(of: "{yyyy}", with: String(format: "%04d", c.year ?? 0))
        s = s.replacingOccurrences(of: "{mm}", with: String(format: "%02d", c.month ?? 0))
        s = s.replacingOccurrences(of: "{dd}", with: String(format: "%02d", c.day ?? 0))
        if let station { s = s.replacingOccurrences(of: "{station}", with: station) }
        if let node { s = s.replacingOccurrences(of: "{node}", with: node) }
        return s
    }

    public static func isResolved(_ path: String) -> Bool { !path.contains("{") }

    /// Parses `STATION_YYYYMMDDTHHMMSS…` from a file name (local time).
    /// Returns the station prefix and the recording start, or nil when the name has no such stamp.
    public static func recordingStamp(fileName: String, calendar: Calendar = .current) -> (station: String, start: Date)? {
        let chars = Array(fileName.utf8)
        guard chars.count >= 17 else { return nil }
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        var i = 1
        while i + 16 <= chars.count {
            if chars[i - 1] == UInt8(ascii: "_"),
               chars[i..<(i + 8)].allSatisfy(isDigit), chars[i + 8] == UInt8(ascii: "T"),
               chars[(i + 9)..<(i + 15)].allSatisfy(isDigit) {
                func num(_ a: Int, _ n: Int) -> Int { chars[a..<(a + n)].reduce(0) { $0 * 10 + Int($1 - 48) } }
                var dc = DateComponents()
                dc.year = num(i, 4); dc.month = num(i + 4, 2); dc.day = num(i + 6, 2)
                dc.hour = num(i + 9, 2); dc.minute = num(i + 11, 2); dc.second = num(i + 13, 2)
                let station = String(decoding: chars[0..<(i - 1)], as: UTF8.self)
                if let date = calendar.date(from: dc), !station.isEmpty { return (station, date) }
            }
            i += 1
        }
        return nil
    }

    /// Path of the marker that must exist for `root` to count as present.
    public static func markerPath(root: String) -> String { (root as NSString).appendingPathComponent(markerName) }

    /// The folder holding the marker: `root` itself or the nearest ancestor of it that has one.
    /// Nil when no marker is found, which means the target is not mounted (or not set up).
    public static func findMarker(root: String) -> String? {
        var dir = (root as NSString).standardizingPath
        for _ in 0..<64 {
            if FileIO.exists(markerPath(root: dir)) { return dir }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { return nil }
            dir = parent
        }
        return nil
    }
}
