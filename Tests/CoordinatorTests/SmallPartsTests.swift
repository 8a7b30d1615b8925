@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

@Suite struct SmallPartsTests {
    @Test func listenAddressParses() {
        #expect(ListenAddress("127.0.0.1:8420") == ListenAddress(host: "127.0.0.1", port: 8420))
        #expect(ListenAddress("[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(ListenAddress("0.0.0.0:8420")?.isLoopback == false)
        #expect(ListenAddress("localhost:1")?.isLoopback == true)
        #expect(ListenAddress("nope") == nil)
        #expect(ListenAddress("host:99999") == nil)
    }

    @Test func tokensHashAndCompare() {
        let token = Tokens.generate(prefix: "sfn_")
        #expect(token.hasPrefix("sfn_") && token.count > 40)
        #expect(Tokens.generate(prefix: "x") != Tokens.generate(prefix: "x"))
        #expect(Tokens.hash(token).count == 64)
        #expect(Tokens.constantTimeEquals("abc", "abc"))
        #expect(!Tokens.constantTimeEquals("abc", "abd"))
        #expect(!Tokens.constantTimeEquals("abc", "abcd"))
    }

    @Test func coverageFindsGapsLongerThanOneSegment() {
        let t0 = Date(timeIntervalSince1970: 1_748_000_000)
        func segment(_ offset: Double, _ duration: Double = 600, valid: Bool = true) -> SegmentRecord {
            SegmentRecord(station: "ROST1", name: "s\(offset)", start: t0.addingTimeInterval(offset),
                          durationSeconds: duration, bytes: 1, valid: valid)
        }
        // 0–600, 600–1200, (gap), 5000–5600, plus an invalid one inside the gap.
        let view = RecordingCoverage.compute(station: "ROST1",
                                             segments: [segment(0), segment(600), segment(3000, valid: false), segment(5000)],
                                             from: t0, to: t0.addingTimeInterval(5600), segmentSeconds: 600)
        #expect(view.gaps.count == 1)
        #expect(view.gaps.first?.from == t0.addingTimeInterval(1200))
        #expect(view.gaps.first?.to == t0.addingTimeInterval(5000))
        #expect(view.coveredSeconds == 1800)
        // A short hiccup (less than one segment) is not a gap.
        let small = RecordingCoverage.compute(station: "ROST1", segments: [segment(0), segment(610)], from: nil, to: nil,
                                              segmentSeconds: 600)
        #expect(small.gaps.isEmpty)
        // An empty window is one gap.
        let empty = RecordingCoverage.compute(station: "ROST1", segments: [], from: t0, to: t0.addingTimeInterval(100),
                                              segmentSeconds: 10)
        #expect(empty.gaps.count == 1)
    }
}
