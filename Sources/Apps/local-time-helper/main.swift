import FleetAgent
import FleetProtocol
import FoundationEssentials

// local-time-helper QUERY…  — test helper: answers LocalTime queries in the zone of its own
// environment (`TZ=Europe/Amsterdam local-time-helper …`), one output line per query, so tests
// can check the agent's local time in a zone with DST without changing their own process's TZ.
//
//   parts:EPOCH                    → YYYYMMDDTHHMMSS WEEKDAY OFFSET
//   date:Y:M:D:h:m:s:shift|next    → EPOCH or nil
//   next:daily|weekly:MINUTE:WEEKDAY:EPOCH  → EPOCH or nil (JobScheduleCalculator, lastRun = EPOCH)
//   segment:STATION:NAME           → EPOCH or nil (SegmentName.startDate)
//   expand:EPOCH:TEMPLATE          → the expanded template (TargetTemplate.expand)

func epoch(_ date: Date?) -> String {
    date.map { String(Int64($0.timeIntervalSince1970.rounded(.down))) } ?? "nil"
}

func date(_ text: Substring) -> Date {
    Date(timeIntervalSince1970: Double(text) ?? 0)
}

for query in CommandLine.arguments.dropFirst() {
    let f = query.split(separator: ":", maxSplits: 8, omittingEmptySubsequences: false)
    let n = f.dropFirst().map { Int($0) ?? 0 }
    switch f.first {
    case "parts" where f.count == 2:
        let p = LocalTime.parts(of: date(f[1]))
        print("\(p.compactStamp) \(p.weekday) \(p.utcOffsetSeconds)")
    case "date" where f.count == 8:
        print(epoch(LocalTime.date(year: n[0], month: n[1], day: n[2], hour: n[3], minute: n[4], second: n[5],
                                   gap: f[7] == "next" ? .nextExisting : .shiftForward)))
    case "next" where f.count == 5:
        let schedule = JobSchedule(kind: f[1] == "weekly" ? .weekly : .daily, weekday: n[2], minuteOfDay: n[1])
        print(epoch(JobScheduleCalculator.nextRun(schedule, lastRun: date(f[4]), now: date(f[4]))))
    case "segment" where f.count == 3:
        print(epoch(SegmentName.startDate(of: String(f[2]), station: String(f[1]))))
    case "expand" where f.count >= 3:
        print(TargetTemplate.expand(f[2...].joined(separator: ":"), station: "S", date: date(f[1])))
    default:
        print("bad query \(query)")
    }
}
