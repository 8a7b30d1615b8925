// Invalid inventories whose exact error positions the tests check. Line numbers matter.

/// Unknown fields at six depths (lines 2, 4, 10, 13, 20, 21).
let unknownFieldsFixture = """
sites:
  auklab: {labels: {region: gotland}, colour: red}
nodes:
  pi1: {site: auklab, sight: x}
stations:
  S1:
    node: pi1
    camera:
      host: 10.0.0.1
      lens: wide
alerts:
  receivers:
    r1: {webhook: {url: "http://127.0.0.1:9/h", method: POST}}
  route:
    receiver: r1
    routes:
      - receiver: r1
        routes:
          - receiver: r1
            matches: {a: b}
bogus: 1
"""

/// Sixteen different errors in one file.
let manyErrorsFixture = """
sites:
  auklab: {}
nodes:
  pi1: {site: auklab}
  pi2: {site: nowhere}
stations:
  S1: {node: pi1, camera: {port: 1}}
  S2: {node: ghost, camera: {host: 10.0.0.2}, segmentSeconds: ten}
archives:
  photos:
    nodes: [pi1]
    source: /data/photos
    target: /nas/{station}/{yyyy}
    every: 10 minutes
    keepLocal: 7d
  videos:
    nodes: [pi1]
    source: recordings
    target: /nas/{hour}/x
    schedule: "someday 03:00"
backups:
  db:
    nodes: [pi1]
    sqlite: /data/db.sqlite
    image: /dev/sda
    target: /nas/db/{node}
    every: 1h
    schedule: daily 02:00
    compress: lzma
  nothing:
    nodes: [pi1]
    target: /nas/x
    every: 1h
alerts:
  thresholds: {diskUsageAbove: 90, nodeOfflineAfter: 1x}
  receivers:
    ops: {email: {to: [a@b.c], smtp: "smtp://127.0.0.1:2525"}}
  route:
    receiver: ops
    routes:
      - receiver: ops
        routes:
          - match: {site: auklab}
            receiver: pager
"""
