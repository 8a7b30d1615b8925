import CFileSync
import Dispatch
import Glibc

/// A dedicated, detached OS thread for blocking work (pipe reads, waiting for a child), which
/// must stay off Swift's cooperative pool. Foundation's `Thread` did this before; it is not in
/// FoundationEssentials, which is all the agent links.
///
/// ```swift
/// DetachedThread.start(name: "ffprobe") { let result = run(); continuation.resume(returning: result) }
/// ```
enum DetachedThread {
    /// Starts `body` on a new thread named `name` (the kernel keeps 15 bytes of it), with
    /// `stackSize` bytes of stack when given. Should the thread not be created (no memory, the
    /// thread limit), `body` runs on a Dispatch worker instead rather than being lost.
    static func start(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(name: name, run: body))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        var thread = pthread_t()
        let created = pthread_create(&thread, &attributes, { context in
            guard let context else { return nil }
            let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
            let name = String(decoding: body.name.utf8.prefix(15), as: UTF8.self)
            _ = fleet_name_current_thread(name)
            body.run()
            return nil
        }, box.toOpaque())
        if created != 0 {
            let body = box.takeRetainedValue()
            DispatchQueue.global().async { body.run() }
        }
    }

    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
