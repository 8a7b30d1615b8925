@testable import FleetAgent
import FleetProtocol
import Foundation
import Testing

/// The agent's stand-ins for full-Foundation API (it links FoundationEssentials only) behave as
/// the Foundation calls they replace.
@Suite struct PosixReplacementTests {
    @Test func logRedactionEncodingMatchesAlphanumericsPercentEncoding() {
        for text in ["secret", "p@ss word", "ström-ß_1~", "€uro!", "a/b?c#d", "日本語パス", ""] {
            #expect(NodeAgent.percentEncodeNonAlphanumerics(text)
                    == text.addingPercentEncoding(withAllowedCharacters: .alphanumerics), "\(text)")
        }
    }

    @Test func ledgerAsideStampIsUTC() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        for second in [0.0, 1_764_547_200.9, 951_782_399, 4_102_444_800, -86_401] {
            let date = Date(timeIntervalSince1970: second)
            #expect(Ledger.stamp(date) == formatter.string(from: date), "\(second)")
        }
    }

    @Test func fileErrorReasonIsTheSystemText() {
        do {
            try FileManager.default.createDirectory(atPath: "/proc/stationfleet-nope/x", withIntermediateDirectories: true)
            Issue.record("created a directory under /proc")
        } catch {
            #expect(PosixIO.reason(error) == "No such file or directory")
        }
    }

    @Test func detachedThreadRuns() async {
        let ran = await withCheckedContinuation { continuation in
            DetachedThread.start(name: "a-very-long-thread-name") { continuation.resume(returning: true) }
        }
        #expect(ran)
    }

    @Test func blockingSleepWaits() {
        let clock = ContinuousClock()
        let started = clock.now
        PosixIO.sleep(seconds: 0.05)
        #expect(clock.now - started >= .milliseconds(50))
    }
}
