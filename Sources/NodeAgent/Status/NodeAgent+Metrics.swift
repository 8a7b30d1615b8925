import FleetProtocol

extension NodeAgent {
    /// The recorder statuses for `/metrics`; empty when this agent runs no recorders. Read-only.
    func recorderStatuses() async -> [StationStatus] {
        guard let recorders else { return [] }
        return await recorders.statuses()
    }
}
