import FleetProtocol
import Foundation
import Testing

/// The endpoint catalogue is consistent and fills paths the way clients need them.
@Suite struct EndpointTests {
    @Test func catalogueHasNoDuplicatesAndWellFormedTemplates() {
        let labels = Endpoints.all.map(\.label)
        #expect(Set(labels).count == labels.count)
        // Sign-in and sign-out are public but check the token or the session cookie themselves.
        let selfChecked = [Endpoints.sessionCreate.info, Endpoints.sessionEnd.info]
        for endpoint in Endpoints.all {
            #expect(endpoint.template.hasPrefix("/"), "\(endpoint)")
            #expect(!endpoint.template.contains(":"), "\(endpoint): use {name}, not :name")
            #expect(endpoint.template.hasPrefix("/v1/") == (endpoint.access != .public || selfChecked.contains(endpoint)),
                    "\(endpoint)")
        }
        #expect(Endpoints.all.filter { $0.access == .join }.map(\.label) == ["POST /v1/register"])
        #expect(Set(Endpoints.all.filter { $0.access == .node }.map(\.label))
                == ["POST /v1/nodes/{name}/heartbeat", "POST /v1/nodes/{name}/heartbeat/unchanged", "GET /v1/nodes/{name}/watch",
                    "GET /v1/nodes/{name}/agent-build/{version}/{arch}",
                    "POST /v1/nodes/{name}/commands/{id}/logs", "POST /v1/nodes/{name}/commands/{id}/snapshot"])
        // Every node endpoint names its node first as `{name}`: the node middleware checks it.
        for endpoint in Endpoints.all where endpoint.access == .node {
            #expect(endpoint.parameters.first == "name" && endpoint.parameters.filter { $0 == "name" }.count == 1,
                    "\(endpoint)")
        }
    }

    @Test func pathsAreFilledInOrderAndPercentEncoded() {
        #expect(Endpoints.heartbeat.path("pi1") == "/v1/nodes/pi1/heartbeat")
        #expect(Endpoints.station.path("a b/c?d#e%f;g") == "/v1/stations/a%20b%2Fc%3Fd%23e%25f%3Bg")
        #expect(Endpoints.jobRun.path("backup", "birdnet-db", query: [("node", "emsn-zolder")])
                == "/v1/jobs/backup/birdnet-db/run?node=emsn-zolder")
        #expect(Endpoints.recordings.path("ROST1", query: [("from", "2025-05-23T03:30:00+02:00")])
                == "/v1/stations/ROST1/recordings?from=2025-05-23T03%3A30%3A00%2B02%3A00")
        #expect(Endpoints.nodes.path() == "/v1/nodes")
        #expect(Endpoints.jobRun.parameters == ["kind", "name"])
        #expect(Endpoints.jobRun.info.samplePath() == "/v1/jobs/x/x/run")
    }

    @Test func routerSyntaxUsesColons() {
        #expect(EndpointTemplate.routerPath("/v1/jobs/{kind}/{name}/run") == "/v1/jobs/:kind/:name/run")
        #expect(EndpointTemplate.routerPath("/healthz") == "/healthz")
    }

    @Test func legacyPathsComeFromTheCatalogue() {
        #expect(APIPath.heartbeat("pi1") == Endpoints.heartbeat.path("pi1"))
        #expect(APIPath.jobRun(kind: "archive", name: "video") == "/v1/jobs/archive/video/run")
        #expect(APIPath.revisions == "/v1/revisions")
        // APIPath inserts values as given: the caller has encoded them already.
        #expect(APIPath.station("a%20b") == "/v1/stations/a%20b")
    }

    @Test func descriptionsNameTheBodyTypes() throws {
        let heartbeat = try #require(Endpoints.all.first { $0.template == "/v1/nodes/{name}/heartbeat" })
        #expect(heartbeat.method == .post)
        #expect(heartbeat.request == "Heartbeat")  // a full StatusReport or a StatusDelta
        #expect(heartbeat.response == "StatusAck")
        #expect(heartbeat.access == .node)
    }
}
