import Foundation
import Synchronization

/// Shows ``ProgressBar``s on stdout while `fleetctl` waits for something long: on a terminal
/// one line redrawn in place with `\r`; elsewhere (a pipe, a log) a plain line every
/// `plainInterval` seconds or whenever another tenth is done, and a last one at 100 %.
///
/// ```swift
/// let display = ProgressDisplay(output: console.stdout, width: 80)
/// display.show("pi1", bar, now: Date())
/// display.finish("pi1", succeeded: true)   // 100 % and a newline before the result line
/// ```
final class ProgressDisplay: Sendable {
    struct Shown: Sendable {
        var bar: ProgressBar
        var printedAt: Date
        var tenth: Int
        /// The last line printed in plain mode.
        var printed: String
    }

    struct State: Sendable {
        var shown: [String: Shown] = [:]
        var finished: Set<String> = []
        /// A bar is drawn on the terminal's current line (a newline is due before other output).
        var lineOpen = false
    }

    let output: TextOutput
    let terminal: Bool
    let width: Int
    let plainInterval: Double
    private let state = Mutex(State())

    init(output: TextOutput, terminal: Bool? = nil, width: Int, plainInterval: Double = 5) {
        self.output = output
        self.terminal = terminal ?? output.isTerminal
        self.width = width
        self.plainInterval = plainInterval
    }

    /// The terminal's width from `COLUMNS`, else 80.
    static func width(environment: [String: String]) -> Int {
        environment["COLUMNS"].flatMap { Int($0) }.map { max(20, $0) } ?? 80
    }

    /// Shows `bar` for `key` (a node, a rollout) unless `key` has finished.
    func show(_ key: String, _ bar: ProgressBar, now: Date) {
        state.withLock { s in
            guard !s.finished.contains(key) else { return }
            let tenth = Self.tenth(bar)
            let previous = s.shown[key]
            if terminal {
                output.write("\r" + bar.line(width: width - 1) + "\u{1B}[K")
                s.lineOpen = true
                s.shown[key] = Shown(bar: bar, printedAt: now, tenth: tenth, printed: "")
                return
            }
            let due = previous.map { now.timeIntervalSince($0.printedAt) >= plainInterval || tenth > $0.tenth } ?? true
            if due {
                output.line(bar.plain)
                s.shown[key] = Shown(bar: bar, printedAt: now, tenth: tenth, printed: bar.plain)
            } else if var kept = previous {
                kept.bar = bar
                s.shown[key] = kept
            }
        }
    }

    /// `key` is done: when it succeeded and progress was shown, its bar is shown at 100 %;
    /// on a terminal the line is ended so the result prints below it. Later `show`s are ignored.
    func finish(_ key: String, succeeded: Bool) {
        state.withLock { s in
            guard !s.finished.contains(key) else { return }
            s.finished.insert(key)
            if succeeded, let shown = s.shown[key] {
                var bar = shown.bar
                bar.fraction = 1
                bar.done = bar.total ?? bar.done
                bar.etaSeconds = nil
                if terminal {
                    output.write("\r" + bar.line(width: width - 1) + "\u{1B}[K")
                    s.lineOpen = true
                } else if bar.plain != shown.printed {
                    output.line(bar.plain)
                }
            }
            if s.lineOpen {
                output.write("\n")
                s.lineOpen = false
            }
        }
    }

    /// Whether `key` has finished (its progress is no longer wanted).
    func isFinished(_ key: String) -> Bool {
        state.withLock { $0.finished.contains(key) }
    }

    /// Erases a bar drawn on the terminal's current line (it is drawn again below what comes next).
    func clearLine() {
        state.withLock { s in
            if s.lineOpen {
                output.write("\r\u{1B}[K")
                s.lineOpen = false
            }
        }
    }

    /// Ends a bar drawn on the terminal's current line, before other output.
    func endLine() {
        state.withLock { s in
            if s.lineOpen {
                output.write("\n")
                s.lineOpen = false
            }
        }
    }

    static func tenth(_ bar: ProgressBar) -> Int {
        bar.fraction.map { Int((min(1, max(0, $0)) * 10).rounded(.down)) } ?? -1
    }
}
