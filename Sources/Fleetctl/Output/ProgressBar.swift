import FleetProtocol
import Foundation

/// One line of progress, drawn as a bar for a terminal or as a plain line for logs:
///
/// ```
/// backup sd-image on pi1 [██████████░░░░░░░░░░]  52%  260 MB of 500 MB  50.0 MB/s  ETA 5s
/// backup sd-image on pi1: 52% (260 MB of 500 MB, 50.0 MB/s, ETA 5s)
/// ```
///
/// A pure value: `line(width:)` and `plain` depend on nothing but its fields.
public struct ProgressBar: Sendable, Equatable {
    /// What is counted: bytes (sizes in kB, MB, …) or items such as nodes (`3 of 10 nodes`).
    public enum Unit: Sendable, Equatable {
        case bytes
        case items(String)
    }

    public var label: String
    /// Done of total in 0…1; nil when unknown (the bar stays empty, the percentage is `-`).
    public var fraction: Double?
    public var done: UInt64
    public var total: UInt64?
    public var unit: Unit
    /// Units per second; nil when not measured.
    public var rate: Double?
    public var etaSeconds: Double?

    public init(label: String, fraction: Double?, done: UInt64, total: UInt64?, unit: Unit = .bytes,
                rate: Double? = nil, etaSeconds: Double? = nil) {
        self.label = label
        self.fraction = fraction
        self.done = done
        self.total = total
        self.unit = unit
        self.rate = rate
        self.etaSeconds = etaSeconds
    }

    /// A job's progress as the coordinator shows it; the phase goes into the label.
    public init(label: String, progress: JobProgress) {
        self.init(label: "\(label) (\(progress.phase))", fraction: progress.fraction, done: progress.bytesDone,
                  total: progress.bytesTotal, rate: progress.bytesPerSecond, etaSeconds: progress.etaSeconds)
        if progress.bytesTotal == nil, let files = progress.filesTotal {
            fraction = progress.fraction
            done = UInt64(max(0, progress.filesDone))
            total = UInt64(max(0, files))
            unit = .items("files")
        }
    }

    /// Whole percent, `-` when unknown: `52%`.
    public var percent: String {
        guard let fraction, fraction.isFinite else { return "-" }
        return "\(Int((min(1, max(0, fraction)) * 100).rounded(.down)))%"
    }

    /// `260 MB of 500 MB`, `3 of 10 nodes`, `260 MB` when the total is unknown.
    public var amount: String {
        switch unit {
        case .bytes:
            return total.map { "\(Formatting.bytes(done)) of \(Formatting.bytes($0))" } ?? Formatting.bytes(done)
        case .items(let name):
            return total.map { "\(done) of \($0) \(name)" } ?? "\(done) \(name)"
        }
    }

    /// `50.0 MB/s`, `0.5 nodes/s`; nil when unknown.
    public var rateText: String? {
        guard let rate, rate.isFinite, rate >= 0 else { return nil }
        switch unit {
        case .bytes: return "\(Formatting.bytes(UInt64(rate)))/s"
        case .items(let name): return String(format: "%.1f %@/s", rate, name)
        }
    }

    /// `ETA 1m 5s`; nil when unknown or already done.
    public var etaText: String? {
        guard let etaSeconds, etaSeconds.isFinite, etaSeconds >= 0, (fraction ?? 0) < 1 else { return nil }
        return "ETA \(Formatting.duration(etaSeconds))"
    }

    /// The plain form for logs and pipes: `LABEL: 52% (260 MB of 500 MB, 50.0 MB/s, ETA 5s)`.
    public var plain: String {
        "\(label): \(percent) (\(([amount] + [rateText, etaText].compactMap { $0 }).joined(separator: ", ")))"
    }

    /// The bar form, at most `width` characters: label, bar, percentage, amount, rate and ETA.
    /// A narrow width drops ETA, then rate, then amount, then shortens the label; the bar keeps
    /// at least 10 cells whenever the width allows any.
    public func line(width: Int) -> String {
        let width = max(1, width)
        let percentText = percent.count < 4 ? String(repeating: " ", count: 4 - percent.count) + percent : percent
        let optional = [amount, rateText, etaText].compactMap { $0 }
        for keep in stride(from: optional.count, through: 0, by: -1) {
            let stats = ([percentText] + optional.prefix(keep)).joined(separator: "  ")
            let cells = width - label.count - stats.count - 4  // " [" + "] "
            if cells >= 10 { return "\(label) [\(bar(cells: min(cells, 40)))] \(stats)" }
        }
        // Too narrow for everything: a 10-cell bar and the percentage, the label cut to fit.
        let tail = " [\(bar(cells: 10))] \(percentText)"
        let room = width - tail.count
        guard room > 1 else { return String(tail.suffix(width)) }
        let name = label.count <= room ? label : String(label.prefix(room - 1)) + "…"
        return name + tail
    }

    func bar(cells: Int) -> String {
        let filled = fraction.map { Int((min(1, max(0, $0)) * Double(cells)).rounded(.down)) } ?? 0
        return String(repeating: "█", count: filled) + String(repeating: "░", count: cells - filled)
    }
}
