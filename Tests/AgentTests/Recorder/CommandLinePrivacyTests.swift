import Foundation
import Testing

/// The camera password is in ffmpeg's command line (ffmpeg 5.1 has no other way to take RTSP
/// credentials that we found reliable; see docs/reference.md "Camera password and /proc").
/// It is kept from other local users by running the agent as its own user and mounting /proc
/// with `hidepid=invisible`. This test proves that mount option does what we rely on: in a
/// private mount namespace with a fresh /proc mounted `hidepid=invisible`, a process of uid A
/// with the password in argv cannot be read — or even seen — by uid B, while on a default
/// /proc it can.
@Suite struct CommandLinePrivacyTests {
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        return (try? shell("unshare -m sh -c 'mount -t proc -o hidepid=invisible proc /proc' && command -v setpriv"))?.status == 0
    }()

    @Test(.enabled(if: available, "needs root, unshare and setpriv"))
    func hidepidKeepsAnotherUsersCommandLinePrivate() throws {
        let password = "pw-\(UUID().uuidString.prefix(8))"
        let agentUID = 64_321, otherUID = 65_534
        // Everything runs in a private mount namespace: the host's /proc is not touched.
        // The polling loop waits (with a deadline) for the child to exist; it is not a fault delay.
        let script = """
            as_other() { setpriv --reuid \(otherUID) --regid \(otherUID) --clear-groups "$@"; }
            setpriv --reuid \(agentUID) --regid \(agentUID) --clear-groups sh -c 'sleep 30; :' ffmpeg -i 'rtsp://viewer:\(password)@127.0.0.1:554/x' >/dev/null 2>&1 &
            A=$!
            # Wait until A is the final image (sh as the agent's uid), not setpriv mid-exec:
            # during an exec its command line briefly reads as empty.
            i=0; until tr '\\0' ' ' < /proc/$A/cmdline 2>/dev/null | grep -q '^sh -c .*\(password)' || [ $i -ge 200 ]; do i=$((i+1)); sleep 0.05; done
            as_other cat /proc/$A/cmdline 2>/dev/null | tr '\\0' ' ' | grep -q '\(password)' && echo default-proc-readable-by-other
            unshare -m sh -c '
                mount -t proc -o hidepid=invisible proc /proc || exit 1
                grep -q "\(password)" /proc/'$A'/cmdline && echo root-reads
                setpriv --reuid \(agentUID) --regid \(agentUID) --clear-groups cat /proc/'$A'/cmdline | tr "\\0" " " | grep -q "\(password)" && echo owner-reads
                setpriv --reuid \(otherUID) --regid \(otherUID) --clear-groups cat /proc/'$A'/cmdline 2>/dev/null && echo other-reads
                setpriv --reuid \(otherUID) --regid \(otherUID) --clear-groups ls /proc | grep -qx '$A' && echo other-sees-pid
                setpriv --reuid \(otherUID) --regid \(otherUID) --clear-groups ps -eo args 2>/dev/null | grep -q "\(password)" && echo other-ps-shows
                exit 0'
            echo "namespace-status=$?"
            pkill -P $A; kill $A
            """
        let result = try shell(script)
        let lines = Set(result.output.split(separator: "\n").map(String.init))
        #expect(lines.contains("default-proc-readable-by-other"), "without hidepid the password is visible (the problem): \(lines)")
        #expect(lines.contains("namespace-status=0"), "\(lines)")
        #expect(lines.contains("root-reads") && lines.contains("owner-reads"), "the agent itself still sees its recorders: \(lines)")
        #expect(!lines.contains("other-reads"), "another user must not read the command line")
        #expect(!lines.contains("other-sees-pid"), "hidepid=invisible hides the process")
        #expect(!lines.contains("other-ps-shows"), "ps as another user does not show the password")
    }
}
