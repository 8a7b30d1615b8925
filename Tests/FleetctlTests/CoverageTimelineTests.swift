import FleetProtocol
import Foundation
import Testing

@testable import FleetctlCore

@Suite struct CoverageTimelineTests {
    /// 2025-05-23T03:30:00Z.
    let from = Date(timeIntervalSince1970: 1_747_971_000)

    @Test func hourlyLinesStartOnTheHourAndShowTheGap() {
        let gap = RecordingsView.Gap(from: from.addingTimeInterval(1800), to: from.addingTimeInterval(3600), seconds: 1800)
        let lines = CoverageTimeline.render(gaps: [gap], from: from, to: from.addingTimeInterval(3600))
        #expect(lines.count == 3)
        #expect(lines[0] == "05-23 03:00 " + String(repeating: " ", count: 30) + String(repeating: "█", count: 30))
        #expect(lines[1] == "05-23 04:00 " + String(repeating: "░", count: 30))
        #expect(lines[2].contains("█ recorded  ░ gap  (1 cell = 1 min, UTC)"))
    }

    @Test func aTenSecondGapStillShowsAsOneCell() {
        let start = from.addingTimeInterval(1800)  // 04:00
        let gap = RecordingsView.Gap(from: start.addingTimeInterval(125), to: start.addingTimeInterval(135), seconds: 10)
        let lines = CoverageTimeline.render(gaps: [gap], from: start, to: start.addingTimeInterval(3600))
        let cells = Array(lines[0].dropFirst("05-23 04:00 ".count))
        #expect(cells.count == 60)
        #expect(cells.filter { $0 == "░" }.count == 1)
        #expect(cells[2] == "░")
    }

    @Test func aWeekIsOneLinePerDay() {
        let to = from.addingTimeInterval(7 * 86_400)
        let gap = RecordingsView.Gap(from: from.addingTimeInterval(86_400), to: from.addingTimeInterval(86_400 + 15), seconds: 15)
        let lines = CoverageTimeline.render(gaps: [gap], from: from, to: to)
        // 23 May (from 03:30) to 30 May (until 03:30): eight days, then the legend.
        #expect(lines.count == 9)
        #expect(lines[0].hasPrefix("2025-05-23 "))
        #expect(lines[7].hasPrefix("2025-05-30 "))
        #expect(lines[8].contains("1 cell = 30 min"))
        #expect(lines[1].filter { $0 == "░" }.count == 1)
        #expect(lines[2..<8].allSatisfy { !$0.contains("░") })
    }

    @Test func anEmptySpanDrawsNothing() {
        #expect(CoverageTimeline.render(gaps: [], from: from, to: from).isEmpty)
    }

    @Test func theReportDrawsTheTimelineAboveTheGapList() {
        let view = RecordingsView(station: "ROST1", from: from, to: from.addingTimeInterval(3600), segmentSeconds: 600,
                                  segments: [], coveredSeconds: 0,
                                  gaps: [.init(from: from, to: from.addingTimeInterval(3600), seconds: 3600)])
        let text = RecordingsReport.render(view)
        let bar = text.range(of: "05-23 04:00 ░")
        let list = text.range(of: "gaps:")
        #expect(bar != nil && list != nil)
        if let bar, let list { #expect(bar.lowerBound < list.lowerBound) }
        #expect(!text.contains("█░"))
    }
}
