import FleetProtocol
import FoundationEssentials

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
    /// The date fields are the node's local date (`LocalTime`, the zone ffmpeg names segments in)
    /// unless `calendar` gives another zone (tests).
    public static func expand(_ template: String, station: String?, date: Date, node: String? = nil,
                              calendar: Calendar? = nil) -> String {
        let year: Int, month: Int, day: Int
        if let calendar {
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            (year, month, day) = (c.year ?? 0, c.month ?? 0, c.day ?? 0)
        } else {
            let local = LocalTime.parts(of: date)
            (year, month, day) = (local.year, local.month, local.day)
        }
        var s = template
        s = s.replacing("{yyyy}", with: NumberText.zeroPadded(year, width: 4))
        s = s.replacing("{mm}", with: NumberText.zeroPadded(month, width: 2))
        s = s.replacing("{dd}", with: NumberText.zeroPadded(day, width: 2))
        if let station { s = s.replacing("{station}", with: station) }
        if let node { s = s.replacing("{node}", with: node) }
        return s
    }

    public static func isResolved(_ path: String) -> Bool { !path.contains("{") }

    /// Parses `STATION_YYYYMMDDTHHMMSS…` from a file name, in the node's local time (`LocalTime`)
    /// unless `calendar` gives another zone (tests).
    /// Returns the station prefix and the recording start, or nil when the name has no such stamp.
    public static func recordingStamp(fileName: String, calendar: Calendar? = nil) -> (station: String, start: Date)? {
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
                let date = calendar.map { $0.date(from: dc) }
                    ?? LocalTime.date(year: num(i, 4), month: num(i + 4, 2), day: num(i + 6, 2),
                                      hour: num(i + 9, 2), minute: num(i + 11, 2), second: num(i + 13, 2))
                if let date, !station.isEmpty { return (station, date) }
            }
            i += 1
        }
        return nil
    }

    /// Path of the marker that must exist for `root` to count as present.
    public static func markerPath(root: String) -> String { root.pathJoining(markerName) }

    /// The folder holding the marker: `root` itself or the nearest ancestor of it that has one.
    /// Nil when no marker is found, which means the target is not mounted (or not set up).
    public static func findMarker(root: String) -> String? {
        var dir = root.pathStandardized
        for _ in 0..<64 {
            if FileIO.exists(markerPath(root: dir)) { return dir }
            let parent = dir.pathParent
            if parent == dir || parent.isEmpty { return nil }
            dir = parent
        }
        return nil
    }
}
