import FleetCoordinator
import Foundation
import Logging

/// The alert notification, not Foundation's `Notification` (NotificationCenter).


/// Sample alert groups shaped like the coordinator's: a firing SegmentStale group of two
/// stations at one site, and the same group resolved.
enum Fixtures {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)   // a fixed, whole-second time

    static func segmentStale(station: String, summary: String, endsAt: Date? = nil) -> Alert {
        Alert(labels: ["alertname": "SegmentStale", "site": "auklab", "node": "recordingpi", "severity": "critical",
                       "station": station],
              annotations: ["summary": summary, "description": "no new segment"],
              startsAt: start, endsAt: endsAt, generatorURL: "https://coordinator.test:8443/alerts")
    }

    /// Two firing alerts, grouped by alertname and site.
    static func firingGroup(receiver: String = "ops", sequence: Int = 1) -> AlertNotification {
        AlertNotification(receiver: receiver, groupKey: #"{}:{alertname="SegmentStale", site="auklab"}"#, sequence: sequence,
                     alerts: [segmentStale(station: "cam1", summary: "cam1: no segment for 95s"),
                              segmentStale(station: "cam2", summary: "cam2: no segment for 120s")],
                     groupLabels: ["alertname": "SegmentStale", "site": "auklab"],
                     externalURL: "https://coordinator.test:8443")
    }

    /// One firing and one resolved alert.
    static func mixedGroup() -> AlertNotification {
        AlertNotification(receiver: "ops", groupKey: #"{}:{alertname="SegmentStale", site="auklab"}"#, sequence: 2,
                     alerts: [segmentStale(station: "cam2", summary: "cam2: back", endsAt: start.addingTimeInterval(300)),
                              segmentStale(station: "cam1", summary: "cam1: still stale")],
                     groupLabels: ["alertname": "SegmentStale", "site": "auklab"],
                     externalURL: "https://coordinator.test:8443")
    }

    static var logger: Logger {
        var logger = Logger(label: "alerting-tests")
        logger.logLevel = .debug
        return logger
    }

    /// Writes `content` to a new file in `dir` and returns its path.
    static func file(_ name: String, _ content: String, in dir: String) throws -> String {
        let path = dir + "/" + name
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
