// The memory floor of a Swift program with FoundationEssentials only (no ICU); compare with
// foundation-floor.swift. See BENCHMARKS.md (agent RSS).
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
let start = Date()
let data = try JSONEncoder().encode(["started": start.formatted(.iso8601)])
print(String(decoding: data, as: UTF8.self))
sleep(3)
