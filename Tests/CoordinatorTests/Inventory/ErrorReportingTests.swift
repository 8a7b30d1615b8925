import Foundation
import Testing
import FleetCoordinator
import FleetProtocol

@Suite struct ErrorReportingTests {
    @Test func unknownFieldsAtEveryDepth() {
        let found = diagnostics([("depths.yaml", unknownFieldsFixture)])
        #expect(found.count == 6, "\(found)")
        let expected: [(Int, Int, String)] = [
            (2, 39, "unknown field 'colour' in site 'auklab' (allowed: labels, rollout, agentVersion, heartbeatSeconds)"),
            (4, 23, "unknown field 'sight' in node 'pi1' (allowed: site, labels, agentVersion, heartbeatSeconds)"),
            (10, 7, "unknown field 'lens' in camera of station 'S1'"),
            (13, 49, "unknown field 'method' in webhook of receiver 'r1' (allowed: url, secretFile, maxAlerts)"),
            (20, 13, "unknown field 'matches' in alerts.route.routes[0].routes[0]"),
            (21, 1, "unknown field 'bogus' in the inventory"),
        ]
        for (line, column, text) in expected {
            let diagnostic = at(line, column, in: found)
            #expect(diagnostic?.message.contains(text) == true, "\(line):\(column) \(String(describing: diagnostic))")
            #expect(diagnostic?.file == "depths.yaml")
        }
    }

    @Test func everyErrorInOneFileIsReportedWithItsPosition() throws {
        let error = #expect(throws: InventoryError.self) {
            _ = try Inventory.load(files: [ApplyRequest.File(path: "inv/many.yaml", content: manyErrorsFixture)])
        }
        let found = try #require(error).diagnostics
        let expected: [(Int, Int, String)] = [
            (5, 15, "unknown site 'nowhere' in node 'pi2' (known: auklab)"),
            (7, 19, "missing required field 'host' in camera of station 'S1'"),
            (7, 28, "unknown field 'port' in camera of station 'S1'"),
            (8, 14, "unknown node 'ghost' in station 'S2' (known: pi1, pi2)"),
            (8, 63, "wrong type for 'segmentSeconds': expected an integer, found 'ten'"),
            (13, 13, "{station} is not allowed here"),
            (14, 12, "bad duration '10 minutes' for 'every'"),
            (19, 13, "{hour} is not allowed here"),
            (20, 15, "bad schedule 'someday 03:00'"),
            (25, 5, "backup 'db' has both 'sqlite' and 'image'"),
            (27, 5, "backup 'db' has both 'every' and 'schedule'"),
            (29, 15, "bad compress 'lzma': use zstd, gzip or none"),
            (30, 3, "backup 'nothing' needs one of 'sqlite'"),
            (35, 32, "bad percentage '90' for 'diskUsageAbove'"),
            (35, 54, "bad duration '1x' for 'nodeOfflineAfter'"),
            (44, 23, "unknown receiver 'pager' in alerts.route.routes[0].routes[0] (known: ops)"),
        ]
        for (line, column, text) in expected {
            let diagnostic = at(line, column, in: found)
            #expect(diagnostic?.message.contains(text) == true, "\(line):\(column) \(String(describing: diagnostic))")
        }
        #expect(found.count == expected.count, "\(error.map(\.description) ?? "")")
        // Sorted by line and printed as FILE:LINE:COLUMN: message.
        #expect(found.map(\.line) == found.map(\.line).sorted())
        let lines = try #require(error).description.split(separator: "\n")
        #expect(lines.count == expected.count)
        #expect(lines.first == "inv/many.yaml:5:15: unknown site 'nowhere' in node 'pi2' (known: auklab)")
    }

    @Test func duplicateKeysAreAllReportedAndParsingGoesOn() {
        let yaml = """
        sites:
          auklab: {}
          auklab: {labels: {a: b}}
        nodes:
          pi1: {site: auklab, site: other}
        stations:
          S1: {node: pi1, camera: {host: h1}}
          S1: {node: pi1, camera: {host: h2}}
          S1: {node: pi1, camera: {host: h3}}
          S2: {node: pi9, camera: {host: h1}}
        """
        let found = diagnostics(yaml)
        #expect(at(3, 3, in: found)?.message == "duplicate key 'auklab' in 'sites' (first defined at line 2, column 3)")
        #expect(at(5, 23, in: found)?.message == "duplicate key 'site' in node 'pi1' (first defined at line 5, column 9)")
        #expect(at(8, 3, in: found)?.message.hasPrefix("duplicate key 'S1'") == true)
        #expect(at(9, 3, in: found)?.message.hasPrefix("duplicate key 'S1'") == true)
        #expect(at(10, 14, in: found)?.message.hasPrefix("unknown node 'pi9'") == true)
        #expect(found.count == 5, "\(found)")
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let found = diagnostics("sites:\n  auklab: {labels: {region: gotland}\nnodes:\n  pi1: {site: auklab}\n", name: "broken.yaml")
        #expect(found.count == 1)
        let diagnostic = found.first
        #expect(diagnostic?.file == "broken.yaml")
        #expect(diagnostic?.message.hasPrefix("YAML syntax error:") == true)
        #expect(diagnostic?.line == 3)
        #expect(diagnostic?.column == 1)

        let tabs = diagnostics("sites:\n\tauklab: {}\n")
        #expect(tabs.first?.line == 2)
        #expect(tabs.first?.message.hasPrefix("YAML syntax error:") == true)
    }

    @Test func wrongTypes() {
        let yaml = baseFleet + """
        stations:
          - S1
        backups:
          db:
            nodes: pi1
            sqlite: /data/db.sqlite
            target: /nas/{node}
            every: 1h
            keep: "48"
        defaults:
          heartbeatSeconds: [10]
          recorder: {rtspPort: 70000, rtspTransport: quic, outputDir: relative/dir}
        """
        let found = diagnostics(yaml)
        #expect(at(6, 3, in: found)?.message == "wrong type for 'stations': expected a mapping, found a list")
        #expect(at(9, 12, in: found)?.message == "wrong type for 'nodes': expected a list, found 'pi1'")
        #expect(at(13, 11, in: found)?.message == "wrong type for 'keep': expected an integer, found '48'")
        #expect(at(15, 21, in: found)?.message == "wrong type for 'heartbeatSeconds': expected an integer, found a list")
        #expect(at(16, 24, in: found)?.message == "'rtspPort' must be between 1 and 65535, found 70000")
        #expect(at(16, 46, in: found)?.message == "bad rtspTransport 'quic': use tcp or udp")
        #expect(at(16, 63, in: found)?.message == "'outputDir' must be an absolute path, found 'relative/dir'")
        #expect(found.count == 7, "\(found)")
    }

    @Test func stationWithoutCameraHostOrCamera() {
        let yaml = baseFleet + """
        stations:
          S1: {node: pi1}
          S2:
            node: pi1
            camera: {rtspPath: /s2}
        """
        let found = diagnostics(yaml)
        #expect(at(6, 3, in: found)?.message == "missing required field 'camera' in station 'S1'")
        #expect(at(9, 5, in: found)?.message == "missing required field 'host' in camera of station 'S2'")
        #expect(found.count == 2)
    }

    @Test func schedulesAndDurations() throws {
        let yaml = baseFleet + """
        backups:
          a: {nodes: [pi1], sqlite: /d/a.db, target: "/n/{node}", schedule: "daily 02:00"}
          b: {nodes: [pi1], sqlite: /d/b.db, target: "/n/{node}", schedule: "Sat 23:59"}
          c: {nodes: [pi1], sqlite: /d/c.db, target: "/n/{node}", every: 1h30m}
          d: {nodes: [pi1], sqlite: /d/d.db, target: "/n/{node}"}
          e: {nodes: [pi1], sqlite: /d/e.db, target: "/n/{node}", schedule: "sun 24:00"}
          f: {nodes: [pi1], sqlite: /d/f.db, target: "/n/{node}", every: 30m1h}
          g: {nodes: [pi1], sqlite: /d/g.db, target: "/n/{node}", every: 0s}
        """
        let found = diagnostics(yaml)
        #expect(at(9, 3, in: found)?.message.hasPrefix("missing schedule in backup 'd'") == true)
        #expect(at(10, 69, in: found)?.message.hasPrefix("bad schedule 'sun 24:00'") == true)
        #expect(at(11, 66, in: found)?.message.hasPrefix("bad duration '30m1h'") == true)
        #expect(at(12, 66, in: found)?.message == "'every' must be longer than zero")
        #expect(found.count == 4, "\(found)")

        let valid = try loadOne(baseFleet + yaml.split(separator: "\n").dropFirst(4).prefix(4).joined(separator: "\n"))
        #expect(valid.backups["a"]?.schedule == JobSchedule(kind: .daily, minuteOfDay: 120))
        #expect(valid.backups["b"]?.schedule == JobSchedule(kind: .weekly, weekday: 7, minuteOfDay: 23 * 60 + 59))
        #expect(valid.backups["c"]?.schedule == .every(5_400))
        #expect(valid.backups["a"]?.compress == "zstd")
    }

    @Test func environmentReferences() throws {
        let yaml = baseFleet + """
        stations:
          S1: {node: pi1, camera: {host: "${CAM_HOST}", outputDir: "${ROOT}/rec", username: "a$$b$${LITERAL}"}}
          S2: {node: pi1, camera: {host: 127.0.0.1, outputDir: "${MISSING}/rec"}}
        """
        let found = diagnostics(yaml, environment: ["CAM_HOST": "127.0.0.1", "ROOT": "/tmp/x"])
        #expect(found.count == 1)
        #expect(at(7, 56, in: found)?.message.hasPrefix("unknown variable '${MISSING}'") == true, "\(found)")

        let loaded = try loadOne(yaml.replacingOccurrences(of: "${MISSING}", with: "/r"),
                                 environment: ["CAM_HOST": "127.0.0.1", "ROOT": "/tmp/x"])
        #expect(loaded.stations["S1"]?.camera.host == "127.0.0.1")
        #expect(loaded.stations["S1"]?.camera.outputDir == "/tmp/x/rec")
        #expect(loaded.stations["S1"]?.camera.username == "a$$b${LITERAL}")
    }

    @Test func badNamesAndDuplicatesInLists() {
        let yaml = baseFleet + """
        stations:
          ../etc: {node: pi1, camera: {host: h}}
        archives:
          a: {nodes: [pi1, pi1], source: /x, target: /y, every: 1m}
        """
        let found = diagnostics(yaml)
        #expect(at(6, 3, in: found)?.message.hasPrefix("bad station name '../etc'") == true)
        #expect(at(8, 20, in: found)?.message == "node 'pi1' is listed twice in archive 'a'")
        #expect(found.count == 2, "\(found)")
    }

    @Test func duplicateOnALineWithNonASCIIAndCRLF() {
        let yaml = "sites:\r\n  zurich: {labels: {naam: \"Zolder één\", naam: x}, labels: {}}\r\n  s2: {}\r\nnodes:\r\n  n: {site: s3}\r\n"
        let found = diagnostics(yaml)
        #expect(found.map(\.description) == [
            "fleet.yaml:2:41: duplicate key 'naam' in 'labels' (first defined at line 2, column 21)",
            "fleet.yaml:2:51: duplicate key 'labels' in site 'zurich' (first defined at line 2, column 12)",
            "fleet.yaml:5:13: unknown site 's3' in node 'n' (known: s2, zurich)",
        ])
    }

    @Test func quotedDuplicateKeysAndMultipleDocuments() {
        let quoted = diagnostics("sites:\n  'ab': {}\n  \"ab\": {}\n")
        #expect(quoted.map(\.description).first == "fleet.yaml:3:3: duplicate key 'ab' in 'sites' (first defined at line 2, column 3)")
        let documents = diagnostics("sites: {}\n---\nnodes: {}\n")
        #expect(documents.count == 1)
        #expect(documents.first?.line == 2)
        #expect(documents.first?.message.hasPrefix("YAML syntax error") == true)
    }
}
