import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

/// How fleetctl shows agent builds and a node's agent upgrade.
@Suite struct AgentOutputTests {
    static func node(wanted: String?, running: String, upgrade: AgentUpgradeStatus?) -> NodeView {
        var view = NodeView(name: "pi1", site: "a", state: .online, appliedRevision: 2, desiredRevision: 2,
                            lastHeartbeatAgeSeconds: 1, agentVersion: running, diskUsedPercent: nil, registered: true)
        view.wantedAgentVersion = wanted
        view.agentUpgrade = upgrade
        return view
    }

    @Test func describeNodeShowsTheAgentUpgrade() {
        let sha = String(repeating: "a", count: 64)
        let downloading = AgentUpgradeStatus(version: "0.2.0", sha256: sha, state: .downloading,
                                             bytesDone: 1024 * 1024, bytesTotal: 4 * 1024 * 1024)
        let rolledBack = AgentUpgradeStatus(version: "0.2.0", sha256: sha, state: .rolledBack, reason: .exitedAtStart,
                                            detail: "build exited with code 3 within 1 s of its start")
        #expect(DescribeView.agentUpgrade(Self.node(wanted: nil, running: "0.1.0", upgrade: nil)) == "-")
        #expect(DescribeView.agentUpgrade(Self.node(wanted: "0.2.0", running: "0.2.0", upgrade: nil)) == "runs the wanted 0.2.0")
        #expect(DescribeView.agentUpgrade(Self.node(wanted: "0.2.0", running: "0.1.0", upgrade: nil)) == "wants 0.2.0: not started")
        let progress = DescribeView.agentUpgrade(Self.node(wanted: "0.2.0", running: "0.1.0", upgrade: downloading))
        #expect(progress.hasPrefix("wants 0.2.0: downloading ") && progress.contains(" of "), "\(progress)")
        let text = DescribeView.node(Self.node(wanted: "0.2.0", running: "0.1.0", upgrade: rolledBack), now: Date())
        #expect(text.contains("Agent upgrade:  wants 0.2.0: rolled-back (exited-at-start): build exited with code 3 within 1 s of its start"),
                "\(text)")
    }

    @Test func agentBuildsTable() {
        let now = Date()
        let signed = AgentBuildView(build: AgentBuild(version: "0.2.0", arch: "arm64", sha256: "0123456789abcdef" + String(repeating: "0", count: 48),
                                                      size: 2048, signature: "sig"),
                                    publishedAt: now.addingTimeInterval(-120), publishedBy: "admin", wantedBy: 3)
        let lines = ResourceTables.agentBuilds([signed], now: now).split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        #expect(lines.first == "VERSION ARCH SIZE SHA256 SIGNED PUBLISHED WANTED-BY")
        #expect(lines.last?.hasPrefix("0.2.0 arm64 ") == true && lines.last?.contains(" 0123456789ab yes ") == true
                && lines.last?.hasSuffix(" ago 3") == true, "\(lines)")
    }
}
