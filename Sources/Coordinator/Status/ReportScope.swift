import FleetProtocol
import Foundation

/// What one node may report about: the stations and jobs of its current and just-previous
/// assignment. Everything else in its report is dropped with a reason, so one node's
/// credential can never write another node's catalog, events or job history.
///
/// ```swift
/// let scope = book.scope(of: "pa")
/// let (kept, refused) = scope.filter(report)   // refused: [.segment: "station STB is not assigned to pa"]
/// ```
struct ReportScope {
    let node: String
    let stations: Set<String>
    let jobs: Set<String>

    init(node: String, assignments: [Assignment]) {
        self.node = node
        stations = Set(assignments.flatMap { $0.recorders.map(\.station) })
        jobs = Set(assignments.flatMap { $0.archives.map(\.name) + $0.backups.map(\.name) })
    }

    /// One kind of dropped item and why, with how many.
    struct Refusal: Equatable {
        var item: String
        var reason: String
        var count: Int
    }

    /// The report without items about other nodes' stations or jobs, and what was dropped.
    func filter(_ report: StatusReport) -> (StatusReport, [Refusal]) {
        var kept = report
        var refusals: [Refusal] = []
        func keep<T>(_ items: [T], _ item: String, _ owner: (T) -> String?) -> [T] {
            var out: [T] = []
            var foreign: [String: Int] = [:]
            for element in items {
                if let reason = owner(element) { foreign[reason, default: 0] += 1 } else { out.append(element) }
            }
            for (reason, count) in foreign.sorted(by: { $0.key < $1.key }) {
                refusals.append(Refusal(item: item, reason: reason, count: count))
            }
            return out
        }
        kept.segments = keep(report.segments, "segment") { stationReason($0.station) }
        kept.events = keep(report.events, "event") { event in
            event.station.flatMap(stationReason) ?? event.job.flatMap(jobReason)
        }
        kept.jobRuns = keep(report.jobRuns, "jobRun") { jobReason($0.job) }
        kept.stations = keep(report.stations, "stationStatus") { stationReason($0.station) }
        kept.jobs = keep(report.jobs, "jobStatus") { jobReason($0.job) }
        return (kept, refusals)
    }

    private func stationReason(_ station: String) -> String? {
        stations.contains(station) ? nil : "station \(station) is not assigned to node \(node)"
    }

    private func jobReason(_ job: String) -> String? {
        jobs.contains(job) ? nil : "job \(job) is not assigned to node \(node)"
    }
}
