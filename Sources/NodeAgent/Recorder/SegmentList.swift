import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Follows ffmpeg's `-segment_list … -segment_list_type csv` file by byte offset.
///
/// ffmpeg appends `name,start,end` about 50 ms after each segment closes, so a line
/// there means the segment is complete. Each ffmpeg start truncates the file; the
/// supervisor drains it after every exit and removes it before the next spawn, and the
/// tail also restarts from 0 whenever the file shrinks.
struct SegmentListTail: Sendable {
    let path: String
    private var offset: UInt64 = 0
    private var partial: [UInt8] = []

    init(path: String, offset: UInt64 = 0) {
        self.path = path
        self.offset = offset
    }

    /// Bytes of the file fully handled so far (a partial last line is not counted), so a
    /// successor can go on from here (``RecorderHandoff``).
    var consumedOffset: UInt64 { offset - UInt64(partial.count) }

    /// Segment file names of lines completed since the last call.
    mutating func readNewNames() -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return [] }
        let size = UInt64(info.st_size)
        if size < offset {
            offset = 0
            partial.removeAll()
        }
        guard size > offset else { return [] }
        var data = [UInt8](repeating: 0, count: Int(min(size - offset, 1 << 20)))
        let count = data.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard count > 0 else { return [] }
        offset += UInt64(count)
        partial.append(contentsOf: data[0..<count])
        var names: [String] = []
        while let end = partial.firstIndex(of: 10) {
            let line = String(decoding: partial[..<end], as: UTF8.self)
            partial.removeSubrange(...end)
            if let name = SegmentListTail.firstField(line), !name.isEmpty { names.append(name) }
        }
        return names
    }

    /// Forgets the position (the file is about to be replaced).
    mutating func reset() {
        offset = 0
        partial.removeAll()
    }

    /// The first CSV field, unquoting `"…"` as ffmpeg writes names with commas or quotes.
    static func firstField(_ line: String) -> String? {
        let trimmed = line.trimmedWhitespaceAndNewlines
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("\"") {
            var result = ""
            var index = trimmed.index(after: trimmed.startIndex)
            while index < trimmed.endIndex {
                let char = trimmed[index]
                index = trimmed.index(after: index)
                if char == "\"" {
                    if index < trimmed.endIndex, trimmed[index] == "\"" {
                        result.append("\"")
                        index = trimmed.index(after: index)
                    } else {
                        return result
                    }
                } else {
                    result.append(char)
                }
            }
            return result
        }
        return String(trimmed.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}

/// Segment file names: `STATION_YYYYMMDDTHHMMSS.mkv`, or `STATION_YYYYMMDDTHHMMSS-TAG.mkv`
/// for a recorder run started while the wall clock was behind the folder's newest name (a
/// Pi without a real-time clock before NTP, a clock set back): ffmpeg truncates an existing
/// file of the same name, so such a run carries its own tag (1–12 of `0-9a-z`) and can never
/// overwrite a segment already on disk.
public enum SegmentName {
    /// The start time encoded in a segment name. ffmpeg's `-strftime 1` formats the wall
    /// clock in the node's LOCAL time zone, so the name is read in that zone (`LocalTime`, the C
    /// library's `TZ` / `/etc/localtime`, exactly as ffmpeg) unless `timeZone` names another one
    /// (tests). During the autumn DST fold one hour of names is ambiguous; the earlier instant
    /// is returned.
    public static func startDate(of name: String, station: String, timeZone: TimeZone? = nil) -> Date? {
        guard let (stamp, _) = parts(of: name, station: station),
              stamp[stamp.index(stamp.startIndex, offsetBy: 8)] == "T" else { return nil }
        let digits = stamp.filter { $0 != "T" }
        guard digits.count == 14, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        func number(_ from: Int, _ length: Int) -> Int {
            let start = digits.index(digits.startIndex, offsetBy: from)
            return Int(digits[start..<digits.index(start, offsetBy: length)]) ?? 0
        }
        let month = number(4, 2), day = number(6, 2)
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        guard let timeZone else {
            return LocalTime.date(year: number(0, 4), month: month, day: day,
                                  hour: number(8, 2), minute: number(10, 2), second: number(12, 2))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: number(0, 4), month: month, day: day,
                                                  hour: number(8, 2), minute: number(10, 2), second: number(12, 2)))
    }

    /// True for `STATION_…mkv` names of this station, with or without a run tag.
    static func matches(_ name: String, station: String) -> Bool {
        parts(of: name, station: station) != nil
    }

    /// The run tag of a name (`ROST1_20261201T101500-k3x9.mkv` → `k3x9`), nil for a plain name.
    static func tag(of name: String, station: String) -> String? {
        parts(of: name, station: station)?.tag.map(String.init)
    }

    /// The longest run tag.
    static let maxTagLength = 12

    /// The 15-character time stamp and the optional tag, or nil when `name` is not a segment name of `station`.
    private static func parts(of name: String, station: String) -> (stamp: Substring, tag: Substring?)? {
        let prefix = station + "_"
        guard name.hasPrefix(prefix), name.hasSuffix(".mkv") else { return nil }
        let middle = name.dropFirst(prefix.count).dropLast(4)
        guard middle.count >= 15 else { return nil }
        let stamp = middle.prefix(15)
        let rest = middle.dropFirst(15)
        if rest.isEmpty { return (stamp, nil) }
        let tag = rest.dropFirst()
        guard rest.first == "-", (1...maxTagLength).contains(tag.count),
              tag.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLowercase) }) else { return nil }
        return (stamp, tag)
    }
}
