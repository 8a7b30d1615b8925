import Foundation
import Synchronization

/// Where `fleetctl` writes: a file handle (the real stdout/stderr) or an in-memory buffer (tests).
public final class TextOutput: Sendable {
    private enum Target: Sendable {
        case handle(FileHandle)
        case buffer(terminal: Bool)
    }

    private let target: Target
    private let captured = Mutex<String>("")

    private init(target: Target) { self.target = target }

    /// The process's standard output.
    public static let standardOutput = TextOutput(target: .handle(.standardOutput))
    /// The process's standard error.
    public static let standardError = TextOutput(target: .handle(.standardError))

    /// A buffer that keeps everything written; read it with ``text``.
    /// `terminal: true` makes it act as a terminal (progress bars redrawn in place), for tests.
    public static func buffer(terminal: Bool = false) -> TextOutput { TextOutput(target: .buffer(terminal: terminal)) }

    /// Whether this output is a terminal (isatty); progress is then redrawn in place with `\r`.
    public var isTerminal: Bool {
        switch target {
        case .handle(let handle): return isatty(handle.fileDescriptor) == 1
        case .buffer(let terminal): return terminal
        }
    }

    /// Everything written so far (buffers only; empty for file handles).
    public var text: String { captured.withLock { $0 } }

    /// Writes `string` as is.
    public func write(_ string: String) {
        switch target {
        case .handle(let handle):
            handle.write(Data(string.utf8))
        case .buffer:
            captured.withLock { $0 += string }
        }
    }

    /// Writes `string` and a newline.
    public func line(_ string: String = "") {
        write(string.hasSuffix("\n") ? string : string + "\n")
    }
}

/// The world one invocation of `fleetctl` sees: its output streams, environment and clock.
public struct Console: Sendable {
    public var stdout: TextOutput
    public var stderr: TextOutput
    public var environment: [String: String]
    public var now: @Sendable () -> Date

    public init(stdout: TextOutput, stderr: TextOutput, environment: [String: String],
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.stdout = stdout
        self.stderr = stderr
        self.environment = environment
        self.now = now
    }

    /// Prints one error line, `fleetctl: MESSAGE`, on stderr.
    public func error(_ message: String) {
        stderr.line("fleetctl: \(message.firstLine)")
    }
}
