import Foundation
import Testing
import FleetCoordinator
import FleetProtocol

@Suite struct MergeAndResolveTests {
    static let sitesFile = """
    sites:
      auklab: {}
    nodes:
      pi1: {site: auklab}
    defaults:
      heartbeatSeconds: 5
    alerts:
      receivers:
        ops: {webhook: {url: "http://127.0.0.1:9094/hook"}}
    """
    static let stationsFile = """
    nodes:
      pi2: {site: auklab}
    stations:
      S1: {node: pi1, camera: {host: 127.0.0.1}}
      S2: {node: pi2, camera: {host: 127.0.0.1}}
    defaults:
      recorder: {segmentSeconds: 60}
    alerts:
      receivers:
        pager: {webhook: {url: "http://127.0.0.1:9095/hook"}}
      route:
        receiver: ops
        routes: [{receiver: pager, match: {site: auklab}}]
    """

    @Test func filesMergeIntoOneInventory() throws {
        let inventory = try Inventory.load(files: [
            ApplyRequest.File(path: "inv/a.yaml", content: Self.sitesFile),
            ApplyRequest.File(path: "inv/b.yaml", content: Self.stationsFile),
        ])
        #expect(inventory.nodes.keys.sorted() == ["pi1", "pi2"])
        #expect(inventory.stations.keys.sorted() == ["S1", "S2"])
        #expect(inventory.defaults.heartbeatSeconds == 5)
        #expect(inventory.defaults.recorder.segmentSeconds == 60)
        #expect(inventory.alerts?.receivers.keys.sorted() == ["ops", "pager"])
        #expect(inventory.alerts?.route?.routes.first?.receiver == "pager")
        let state = inventory.compile()
        #expect(state.assignments["pi1"]?.recorders.map(\.station) == ["S1"])
        #expect(state.assignments["pi2"]?.recorders.first?.segmentSeconds == 60)
        #expect(state.assignments["pi2"]?.heartbeatSeconds == 5)
    }

    @Test func crossFileDuplicatesAreErrorsAtTheSecondDefinition() {
        let third = """
        stations:
          S1: {node: pi1, camera: {host: 127.0.0.2}}
        defaults:
          heartbeatSeconds: 7
        alerts:
          receivers:
            ops: {webhook: {url: "http://127.0.0.1:1/x"}}
        sites:
          auklab: {}
        """
        let found = diagnostics([("a.yaml", Self.sitesFile), ("b.yaml", Self.stationsFile), ("c.yaml", third)])
        #expect(found.map(\.description) == [
            "c.yaml:2:3: duplicate key 'S1' in stations (first defined at b.yaml:4:3)",
            "c.yaml:4:3: duplicate key 'heartbeatSeconds' in defaults (first defined at a.yaml:6:3)",
            "c.yaml:7:5: duplicate key 'ops' in alerts.receivers (first defined at a.yaml:9:5)",
            "c.yaml:9:3: duplicate key 'auklab' in sites (first defined at a.yaml:2:3)",
        ])
    }

    @Test func errorsFromSeveralFilesAreSortedByFileThenLine() {
        let found = diagnostics([
            ("z.yaml", "stations:\n  S9: {node: nope, camera: {host: h}}\n"),
            ("a.yaml", "sites:\n  s: {}\nnodes:\n  n1: {site: s}\n  n2: {site: t}\n"),
            ("m.yaml", "sites: [\n"),
        ])
        #expect(found.map(\.file) == ["a.yaml", "m.yaml", "z.yaml"])
        #expect(found[0].line == 5)
        #expect(found[0].message.hasPrefix("unknown site 't' in node 'n2'"))
        #expect(found[1].message.hasPrefix("YAML syntax error"))
        #expect(found[2].description.hasPrefix("z.yaml:2:14: unknown node 'nope' in station 'S9'"))
    }

    @Test func defaultsAndOverridesResolve() throws {
        let yaml = baseFleet + """
        defaults:
          recorder:
            segmentSeconds: 120
            rtspPort: 8554
            username: viewer
            passwordFile: /etc/sf/pw
            outputDir: /srv/rec
            stallSeconds: 20
            rtspTransport: udp
        stations:
          PLAIN: {node: pi1, camera: {host: 10.0.0.1}}
          ONSTATION:
            node: pi1
            segmentSeconds: 30
            outputDir: /data/rec
            camera: {host: 10.0.0.2, rtspPath: /live, rtspPort: 1554}
          INCAMERA:
            node: pi1
            camera: {host: 10.0.0.3, segmentSeconds: 45, username: other, passwordFile: /etc/sf/pw2,
                     stallSeconds: 5, rtspTransport: tcp}
        """
        let state = try loadOne(yaml).compile()
        let byName = Dictionary(uniqueKeysWithValues: state.stations.map { ($0.name, $0.recorder) })
        #expect(byName["PLAIN"] == RecorderSpec(station: "PLAIN", cameraHost: "10.0.0.1", rtspPort: 8554,
                                                rtspPath: "/stream1", username: "viewer", passwordFile: "/etc/sf/pw",
                                                segmentSeconds: 120, outputDir: "/srv/rec", stallSeconds: 20,
                                                rtspTransport: "udp"))
        #expect(byName["ONSTATION"] == RecorderSpec(station: "ONSTATION", cameraHost: "10.0.0.2", rtspPort: 1554,
                                                    rtspPath: "/live", username: "viewer", passwordFile: "/etc/sf/pw",
                                                    segmentSeconds: 30, outputDir: "/data/rec", stallSeconds: 20,
                                                    rtspTransport: "udp"))
        #expect(byName["INCAMERA"] == RecorderSpec(station: "INCAMERA", cameraHost: "10.0.0.3", rtspPort: 8554,
                                                   rtspPath: "/stream1", username: "other", passwordFile: "/etc/sf/pw2",
                                                   segmentSeconds: 45, outputDir: "/srv/rec", stallSeconds: 5,
                                                   rtspTransport: "tcp"))
        #expect(state.stations.map(\.site) == ["auklab", "auklab", "auklab"])

        let bare = try loadOne(baseFleet + "stations:\n  S: {node: pi1, camera: {host: h}}\n").compile()
        #expect(bare.stations.first?.recorder == RecorderSpec(station: "S", cameraHost: "h",
                                                              outputDir: "/var/lib/stationfleet/recordings"))
        #expect(bare.assignments["pi1"]?.heartbeatSeconds == 10)
    }

    @Test func overrideGivenTwiceIsAnError() {
        let yaml = baseFleet + """
        stations:
          S: {node: pi1, segmentSeconds: 30, camera: {host: h, segmentSeconds: 40}}
        """
        let found = diagnostics(yaml)
        #expect(found.map(\.description) == [
            "fleet.yaml:6:56: 'segmentSeconds' is set both on station 'S' and in its camera: give it once",
        ])
    }

    @Test func nodeWithNothingAssignedGetsAnEmptyAssignment() throws {
        let state = try loadOne(baseFleet).compile()
        #expect(state.assignments == ["pi1": Assignment(node: "pi1", site: "auklab", revision: 0, heartbeatSeconds: 10)])
    }

    @Test func recordingsArchiveExpandsPerStationAndNodeTemplates() throws {
        let yaml = baseFleet + """
          pi2: {site: auklab}
        stations:
          B: {node: pi1, camera: {host: h, outputDir: /other}}
          A: {node: pi1, camera: {host: h}}
          C: {node: pi2, camera: {host: h}}
        archives:
          vid:
            nodes: [pi1, pi2]
            source: recordings
            target: /nas/{node}/{station}/{yyyy}/{mm}/{dd}
            schedule: daily 01:30
            settle: 2m
        """
        let state = try loadOne(yaml).compile()
        let pi1 = try #require(state.assignments["pi1"]?.archives.first)
        #expect(pi1.sources == [ArchiveSource(path: "/var/lib/stationfleet/recordings/A", station: "A"),
                                ArchiveSource(path: "/other/B", station: "B")])
        #expect(pi1.target == "/nas/pi1/{station}/{yyyy}/{mm}/{dd}")
        #expect(pi1.schedule == JobSchedule(kind: .daily, minuteOfDay: 90))
        #expect(pi1.settleSeconds == 120)
        #expect(pi1.keepLocalSeconds == nil)
        let pi2 = try #require(state.assignments["pi2"]?.archives.first)
        #expect(pi2.sources.map(\.station) == ["C"])
        #expect(pi2.target == "/nas/pi2/{station}/{yyyy}/{mm}/{dd}")
    }
}
