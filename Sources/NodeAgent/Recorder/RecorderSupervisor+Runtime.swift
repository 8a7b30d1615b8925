import FleetProtocol

/// The supervisor is the agent's recorder runtime.
extension RecorderSupervisor: RecorderRuntime {
    public func restartRecorder(station: String, reason: String, timeout: Duration) async throws -> String {
        try await restart(station: station, reason: reason, timeout: timeout)
    }

    public func handOff() async -> [RecorderHandoff] { handOffRecorders() }
    public func takeBack() async { resumeAfterHandoff() }
    public func offerHandoff(_ entries: [RecorderHandoff]) async { acceptHandoff(entries) }
}
