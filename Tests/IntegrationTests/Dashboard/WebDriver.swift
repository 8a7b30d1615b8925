import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A minimal W3C WebDriver client for chromedriver on loopback: JSON over HTTP, nothing else.
///
/// ```swift
/// let driver = try await ChromeDriver.start(logDir: dir)
/// let browser = try await driver.newSession(width: 1920, height: 1080)
/// try await browser.navigate(to: url)
/// let title = try await browser.execute("return document.title")
/// ```
final class ChromeDriver: @unchecked Sendable {
    let process: ManagedProcess
    let url: String

    enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case webDriver(String)

        var description: String {
            switch self {
            case .missing(let what): return what
            case .webDriver(let message): return "WebDriver: \(message)"
            }
        }
    }

    /// The chromium and chromedriver executables, or nil when Debian's packages are not installed.
    static func executables() -> (chromium: String, driver: String)? {
        let chromium = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium, let driver else { return nil }
        return (chromium, driver)
    }

    private init(process: ManagedProcess, url: String) {
        self.process = process
        self.url = url
    }

    /// Starts chromedriver on a free loopback port and waits until it answers `/status`.
    static func start(logDir: String) async throws -> ChromeDriver {
        guard let (_, driver) = executables() else {
            throw Failure.missing("chromium and chromium-driver are not installed (run scripts/setup.sh)")
        }
        let port = try freePort()
        let process = try ManagedProcess(label: "chromedriver", executable: driver,
                                         arguments: ["--port=\(port)", "--allowed-ips=127.0.0.1"], logDir: logDir)
        let chrome = ChromeDriver(process: process, url: "http://127.0.0.1:\(port)")
        let ready = await waitUntil(timeout: .seconds(60), poll: .milliseconds(200)) {
            (try? await chrome.call(.GET, "/status")) != nil
        }
        guard ready else {
            await process.stop()
            throw Failure.webDriver("chromedriver did not answer on port \(port): \(process.output)")
        }
        return chrome
    }

    /// A free TCP port on 127.0.0.1 (bound and released; chromedriver takes it right after).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.missing("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure.missing("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func stop() async {
        await process.stop()
    }

    /// One WebDriver command; returns the answer's `value`.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView), options: [.fragmentsAllowed])
        let value = (object as? [String: Any])?["value"]
        if response.status.code >= 400 {
            let error = value as? [String: Any]
            throw Failure.webDriver("\(method) \(path): \(error?["error"] ?? response.status.code) \(error?["message"] ?? "")")
        }
        return value
    }

    /// A new headless Chromium session with the given window size.
    func newSession(width: Int, height: Int) async throws -> BrowserSession {
        guard let (chromium, _) = Self.executables() else { throw Failure.missing("chromium is not installed") }
        let capabilities: [String: Any] = [
            "browserName": "chrome",
            "goog:chromeOptions": [
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-extensions", "--window-size=\(width),\(height)"],
            ] as [String: Any],
            "goog:loggingPrefs": ["browser": "ALL"],
        ]
        let value = try await call(.POST, "/session", ["capabilities": ["alwaysMatch": capabilities]])
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            throw Failure.webDriver("no session id in \(String(describing: value))")
        }
        return BrowserSession(driver: self, id: id)
    }
}

/// One browser window driven over WebDriver.
struct BrowserSession: Sendable {
    let driver: ChromeDriver
    let id: String

    private var base: String { "/session/\(id)" }

    func navigate(to url: String) async throws {
        try await driver.call(.POST, base + "/url", ["url": url])
    }

    /// Runs `script` in the page (a function body; `arguments` are its arguments).
    @discardableResult
    func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await driver.call(.POST, base + "/execute/sync", ["script": script, "args": arguments])
    }

    func bool(_ script: String) async -> Bool {
        ((try? await execute(script)) as? Bool) ?? false
    }

    func string(_ script: String) async throws -> String {
        (try await execute(script) as? String) ?? ""
    }

    /// Waits until `script` returns true.
    func waitFor(_ what: String, timeout: Duration = .seconds(30), _ script: String) async throws {
        let held = await waitUntil(timeout: timeout, poll: .milliseconds(100)) { await bool(script) }
        if !held {
            let text = (try? await string("return document.body.innerText")) ?? "?"
            throw ChromeDriver.Failure.webDriver("timed out waiting for \(what); the page shows:\n\(text.prefix(3000))")
        }
    }

    func setWindow(width: Int, height: Int) async throws {
        try await driver.call(.POST, base + "/window/rect", ["width": width, "height": height])
    }

    /// A PNG of the viewport, written to `path`.
    func screenshot(to path: String) async throws {
        guard let text = try await driver.call(.GET, base + "/screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw ChromeDriver.Failure.webDriver("no screenshot")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// The value of a cookie (HttpOnly ones included: WebDriver sees them, page script does not).
    func cookie(_ name: String) async throws -> String? {
        let value = try await driver.call(.GET, base + "/cookie/\(name)") as? [String: Any]
        return value?["value"] as? String
    }

    func cookieAttributes(_ name: String) async throws -> [String: Any] {
        (try await driver.call(.GET, base + "/cookie/\(name)") as? [String: Any]) ?? [:]
    }

    /// Browser console entries since the last call (chromedriver's log endpoint).
    func consoleLog() async throws -> [(level: String, message: String)] {
        let value = try await driver.call(.POST, base + "/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return value.map { (($0["level"] as? String) ?? "", ($0["message"] as? String) ?? "") }
    }

    /// Whether a JavaScript alert is open (an XSS payload that ran would open one).
    func alertOpen() async -> Bool {
        (try? await driver.call(.GET, base + "/alert/text")) != nil
    }

    func quit() async {
        _ = try? await driver.call(.DELETE, base)
    }
}

extension BrowserSession {
    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// The first element matching a CSS selector.
    func element(_ selector: String) async throws -> String {
        let value = try await driver.call(.POST, "/session/\(id)/element", ["using": "css selector", "value": selector])
        guard let element = (value as? [String: Any])?[Self.elementKey] as? String else {
            throw ChromeDriver.Failure.webDriver("no element \(selector)")
        }
        return element
    }

    /// Types into an element as a user would (key events).
    func type(_ selector: String, _ text: String) async throws {
        let element = try await element(selector)
        try await driver.call(.POST, "/session/\(id)/element/\(element)/value", ["text": text])
    }

    /// Clicks the element; finds it again when the page re-rendered it in between (a live page
    /// replaces its elements whenever the fleet changes).
    func click(_ selector: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                let element = try await element(selector)
                try await driver.call(.POST, "/session/\(id)/element/\(element)/click", [:])
                return
            } catch let failure as ChromeDriver.Failure where ContinuousClock.now < deadline
                        && (failure.description.contains("stale element") || failure.description.contains("no such element")) {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
