import Foundation

/// Unbuffered lines on stdout, so a supervisor or test reading the pipe sees them at once.
enum Console {
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
