// The memory floor of a Swift program with Foundation; see BENCHMARKS.md (agent RSS).
import Foundation
let start = Date()
let data = try JSONEncoder().encode(["started": start.formatted(.iso8601)])
FileHandle.standardOutput.write(data)
FileHandle.standardOutput.write(Data("\n".utf8))
Thread.sleep(forTimeInterval: 3)
