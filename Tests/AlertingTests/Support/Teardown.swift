import Foundation
import NIOConcurrencyHelpers

/// Cleanup steps a scenario registers as it starts things (peers, harness, processes);
/// `withTeardown` runs them in reverse order on every exit path, thrown errors included.
///
/// ```swift
/// try await withTeardown { teardown in
///     let sink = try await SMTPSink.start()
///     teardown.add { await sink.stop() }
///     …
/// }
/// ```
final class Teardown: Sendable {
    private let steps = NIOLockedValueBox<[@Sendable () async -> Void]>([])

    func add(_ step: @escaping @Sendable () async -> Void) {
        steps.withLockedValue { $0.append(step) }
    }

    fileprivate func run() async {
        let all = steps.withLockedValue { steps in
            defer { steps = [] }
            return steps
        }
        for step in all.reversed() { await step() }
    }
}

func withTeardown<T>(_ body: (Teardown) async throws -> T) async throws -> T {
    let teardown = Teardown()
    do {
        let result = try await body(teardown)
        await teardown.run()
        return result
    } catch {
        await teardown.run()
        throw error
    }
}
