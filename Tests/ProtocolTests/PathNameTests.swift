import FleetProtocol
import Foundation
import Testing

/// The `String` path helpers that replace NSString's path API in the agent (which links only
/// FoundationEssentials): the same results as NSString wherever NSString is sane, and the
/// documented Darwin semantics where swift-corelibs-foundation is not.
@Suite struct PathNameTests {
    /// Paths on which corelibs NSString agrees with Darwin: the helpers must match it exactly.
    static let ordinary = [
        "/", "/a", "/a/", "a/b", "a//b", "/a/b/", "/srv/video/ROST1", "/srv/video/ROST1/",
        "/x/y.mkv", "a.txt", "a.b.c", ".hidden", "/x/.hidden", "dir.d/file", "a/b.tar.gz", "/a/b.mkv/",
        "./a", "a/./b", "a/../b", "/a/../b", "/../a", "/a/b/..", "/tmp/x/../../y", "/a/b/../c/./d//",
        "/var/lib/stationfleet/agent/builds/1.2.3-abcdef012345/fleet-agent", "ROST1_20260102T101500.mkv",
        "/mnt/nas/.stationfleet-target", "a/.", "/..", "..a", "a..b",
    ]

    @Test func lastNameExtensionAndStandardizingMatchNSString() {
        for path in Self.ordinary + ["", "a", ".", ".."] {
            let ns = path as NSString
            #expect(path.pathLastName == ns.lastPathComponent, "\(path)")
            #expect(path.pathExtensionName == ns.pathExtension, "\(path)")
            #expect(path.pathRemovingExtension == ns.deletingPathExtension, "\(path)")
            #expect(path.pathStandardized == ns.standardizingPath, "\(path)")
        }
    }

    @Test func parentMatchesNSString() {
        // corelibs traps on a parent of a single relative name ("a", "a/", "."): those below.
        for path in Self.ordinary + ["", ".."] where path.contains("/") || path.isEmpty || path == ".." {
            #expect(path.pathParent == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    @Test func joiningMatchesNSString() {
        let pairs = [("", "b"), ("a", ""), ("/", "b"), ("a/", "b"), ("a", "b"), ("/srv/video", "ROST1"),
                     ("/srv/video/", "ROST1"), ("a", "../b"), ("", "/b"), ("", ""),
                     ("/state", "recorders"), ("/state/agent", "chunk-00000000000000000001.jsonl")]
        for (base, component) in pairs {
            let expected = (base as NSString).appendingPathComponent(component)
            #expect(base.pathJoining(component) == expected, "\(base) + \(component)")
        }
    }

    /// Where corelibs NSString differs from Darwin (or traps), the helpers follow Darwin: one
    /// slash between parts, no trailing slash, `/` stays the root.
    @Test func edgeCasesFollowDarwinSemantics() {
        #expect("a".pathJoining("/b") == "a/b")
        #expect("a//".pathJoining("b") == "a/b")
        #expect("a".pathJoining("b/") == "a/b")
        #expect("/".pathJoining("/") == "/")
        #expect("/a/".pathJoining("//b//") == "/a/b")
        #expect("a".pathJoining("b//c") == "a/b/c")
        #expect("a//b".pathJoining("c") == "a/b/c")

        #expect("//".pathLastName == "/")
        #expect("//".pathParent == "/")
        #expect("a".pathParent == "")
        #expect("a/".pathParent == "")
        #expect(".".pathParent == "")
        #expect("///a///b///".pathParent == "/a")
        #expect("/a".pathParent == "/")
        #expect("/".pathParent == "/")

        #expect("//".pathStandardized == "/")
        #expect("///a///b///".pathStandardized == "/a/b")
        #expect("a/b/../../..".pathStandardized == "a/b/../../..")  // relative: parents unknown, kept
        #expect("/../../..".pathStandardized == "/")
        #expect("./.".pathStandardized == ".")

        #expect("///a///b.c///".pathRemovingExtension == "/a/b")
        #expect("a.".pathExtensionName == "")
        #expect("a.".pathRemovingExtension == "a")
        #expect("/".pathRemovingExtension == "/")
        #expect("/.hidden.mkv".pathExtensionName == "mkv")
        #expect("/x.d/file".pathExtensionName == "")
        #expect("/a/..".pathRemovingExtension == "/a/..")
    }

    @Test func pathsWithNonASCIINames() {
        #expect("/srv/vidéo/Ström 1.mkv".pathLastName == "Ström 1.mkv")
        #expect("/srv/vidéo/Ström 1.mkv".pathParent == "/srv/vidéo")
        #expect("/srv/vidéo/Ström 1.mkv".pathExtensionName == "mkv")
        #expect("/srv/vidéo/Ström 1.mkv".pathRemovingExtension == "/srv/vidéo/Ström 1")
        #expect("/srv/vidéo".pathJoining("Ström") == ("/srv/vidéo" as NSString).appendingPathComponent("Ström"))
    }
}
