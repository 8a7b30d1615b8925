import Foundation
import Yams

/// Parsing of `alerts.timeIntervals`: `{NAME: [{times, weekdays, daysOfMonth, months, years,
/// location}, …]}`, every bad value reported at its position.
extension InventoryLoader {
    static let timePeriodFields = ["times", "weekdays", "daysOfMonth", "months", "years", "location"]

    /// The valid intervals by name; every declared name (valid or not) goes to `declaredTimeIntervals`.
    func parseTimeIntervals(_ entry: Entry, reader: FieldReader) -> [String: AlertTimeInterval] {
        guard let items = reader.entries(entry.value, field: "alerts.timeIntervals") else { return [:] }
        var result: [String: AlertTimeInterval] = [:]
        for item in items {
            declaredTimeIntervals.insert(item.key)
            guard reader.name(item.key, at: item.keyNode, kind: "time interval") else { continue }
            let path = "alerts.timeIntervals.\(item.key)"
            guard case let .sequence(nodes) = item.value else {
                reader.wrongType(item.value, path, expected: "a list of {times, weekdays, daysOfMonth, months, years, location}")
                continue
            }
            var periods: [AlertTimePeriod] = []
            var valid = true
            for (index, node) in nodes.enumerated() {
                if let period = parseTimePeriod(node, path: "\(path)[\(index)]", reader: reader) {
                    periods.append(period)
                } else {
                    valid = false
                }
            }
            if valid { result[item.key] = AlertTimeInterval(periods: periods) }
        }
        return result
    }

    private func parseTimePeriod(_ node: Yams.Node, path: String, reader: FieldReader) -> AlertTimePeriod? {
        guard let fields = reader.fields(node, what: path, allowed: Self.timePeriodFields) else { return nil }
        var period = AlertTimePeriod()
        var valid = true
        for field in fields.entries {
            let (key, value) = (field.key, field.value)
            switch key {
            case "times":
                period.times = parseTimes(value, path: path, reader: reader)
                valid = valid && period.times != nil
            case "weekdays":
                period.weekdays = rangeList(value, field: field, path: path, every: "weekday", reader: reader,
                                            parse: TimeIntervalSyntax.weekdays)
                valid = valid && period.weekdays != nil
            case "daysOfMonth":
                period.daysOfMonth = rangeList(value, field: field, path: path, every: "day", reader: reader,
                                               parse: TimeIntervalSyntax.daysOfMonth)
                valid = valid && period.daysOfMonth != nil
            case "months":
                period.months = rangeList(value, field: field, path: path, every: "month", reader: reader,
                                          parse: TimeIntervalSyntax.months)
                valid = valid && period.months != nil
            case "years":
                period.years = rangeList(value, field: field, path: path, every: "year", reader: reader,
                                         parse: TimeIntervalSyntax.years)
                valid = valid && period.years != nil
            case "location":
                guard let text = reader.nonEmptyString(value, key) else { valid = false; continue }
                switch TimeIntervalSyntax.location(text) {
                case .success(let name): period.location = name
                case .failure(let error): reader.report(value, "\(error.message) in \(path)"); valid = false
                }
            default:
                break
            }
        }
        return valid ? period : nil
    }

    /// `times: [{start: "HH:MM", end: "HH:MM"}, …]`.
    private func parseTimes(_ node: Yams.Node, path: String, reader: FieldReader) -> [AlertTimePeriod.MinuteRange]? {
        guard case let .sequence(items) = node else {
            reader.wrongType(node, "times", expected: "a list of {start, end}")
            return nil
        }
        guard !items.isEmpty else {
            reader.report(node, "'times' of \(path) is empty: leave it out to match the whole day")
            return nil
        }
        var ranges: [AlertTimePeriod.MinuteRange] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let what = "\(path).times[\(index)]"
            guard let fields = reader.fields(item, what: what, allowed: ["start", "end"]) else { valid = false; continue }
            guard let start = fields.required("start"), let end = fields.required("end"),
                  let startText = reader.nonEmptyString(start.value, "start"),
                  let endText = reader.nonEmptyString(end.value, "end") else { valid = false; continue }
            if case .failure(let error) = TimeIntervalSyntax.minute(startText) {
                reader.report(start.value, "\(error.message) in \(what)")
                valid = false
                continue
            }
            if case .failure(let error) = TimeIntervalSyntax.minute(endText) {
                reader.report(end.value, "\(error.message) in \(what)")
                valid = false
                continue
            }
            switch TimeIntervalSyntax.times(start: startText, end: endText) {
            case .success(let range): ranges.append(range)
            case .failure(let error): reader.report(start.value, "\(error.message) in \(what)"); valid = false
            }
        }
        return valid ? ranges : nil
    }

    /// A non-empty list of range strings, each parsed by `parse` and reported at its item.
    private func rangeList(_ node: Yams.Node, field: Entry, path: String, every: String, reader: FieldReader,
                           parse: (String) -> Result<AlertTimePeriod.Range, TimeIntervalSyntaxError>) -> [AlertTimePeriod.Range]? {
        guard let items = reader.stringList(node, field.key) else { return nil }
        guard case let .sequence(raw) = node, items.count == raw.count else { return nil }
        guard !items.isEmpty else {
            reader.report(node, "'\(field.key)' of \(path) is empty: leave it out to match every \(every)")
            return nil
        }
        var ranges: [AlertTimePeriod.Range] = []
        var valid = true
        for (text, itemNode) in items {
            switch parse(text) {
            case .success(let range): ranges.append(range)
            case .failure(let error): reader.report(itemNode, "\(error.message) in \(path).\(field.key)"); valid = false
            }
        }
        return valid ? ranges : nil
    }
}
