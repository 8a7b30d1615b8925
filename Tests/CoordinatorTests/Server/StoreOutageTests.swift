@testable import FleetCoordinator
import Foundation
import Logging
import Testing

/// The parts of riding out a database outage that need no database: which errors are waited
/// for, how a lost database is answered, and the start-up retry loop.
@Suite struct StoreOutageTests {
    @Test func serverStatesOfAServerGoingAwayAreTransient() {
        for state in ["57P01", "57P02", "57P03", "08006", "08001", "53300"] {
            #expect(PostgresFleetStore.isTransient(sqlState: state), "\(state)")
        }
        for state in ["28P01", "28000", "3D000", "42P01", "23505", nil] as [String?] {
            #expect(!PostgresFleetStore.isTransient(sqlState: state), "\(state ?? "nil")")
        }
    }

    @Test func anUnreachableDatabaseIsA503WithAShortRetryAfter() {
        let error = StoreError.unreachable("PostgreSQL: connection refused")
        #expect(error.isWriteCondition)
        let answer = APIError.from(error)
        #expect(answer.status == .serviceUnavailable)
        #expect(answer.retryAfter == 5)
        #expect(APIError.from(StoreError.unavailable("boom")).status == .internalServerError)
    }

    @Test func anOutageIsOneConditionWhateverEachAttemptSaid() {
        #expect(StoreError.sameCondition(.unreachable("connection refused"), .unreachable("no connection within 5 s")))
        #expect(!StoreError.sameCondition(.unreachable("x"), .full("x")))
        #expect(!StoreError.sameCondition(.unreachable("x"), nil))
        #expect(StoreError.sameCondition(nil, nil))
    }

    @Test func startUpWaitsOnlyForAnUnreachableDatabase() async throws {
        let attempts = Attempts(failures: [.unreachable("connection refused"), .unreachable("connection refused")])
        var startup = StoreStartup(migrate: { try await attempts.next() }, logger: Self.logger)
        startup.firstDelay = .milliseconds(10)
        #expect(try await startup.migrate())
        #expect(await attempts.count == 3)

        let refused = Attempts(failures: [.unavailable("password authentication failed (SQLSTATE 28P01)")])
        let stopping = StoreStartup(migrate: { try await refused.next() }, logger: Self.logger)
        await #expect(throws: StoreError.unavailable("password authentication failed (SQLSTATE 28P01)")) {
            try await stopping.migrate()
        }
        #expect(await refused.count == 1)
    }

    @Test func theBackOffDoublesToFifteenSeconds() {
        let delays = Array(StoreStartup.delays(first: .seconds(1), max: .seconds(15)).prefix(6))
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15), .seconds(15)])
    }

    static var logger: Logger {
        var logger = Logger(label: "store-outage-test")
        logger.logLevel = .critical
        return logger
    }

    /// Fails with `failures` in turn, then succeeds; counts the attempts.
    actor Attempts {
        private var failures: [StoreError]
        private(set) var count = 0

        init(failures: [StoreError]) { self.failures = failures }

        func next() throws {
            count += 1
            if !failures.isEmpty { throw failures.removeFirst() }
        }
    }
}
