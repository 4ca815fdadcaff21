import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class ValidationTests: XCTestCase {
    func testNames() {
        for good in ["a", "shop", "order-api", "a1", String(repeating: "a", count: 63)] {
            XCTAssertNoThrow(try Validate.name(good), good)
        }
        for bad in ["", "Shop", "1shop", "-a", "a-", "a_b", "a.b", String(repeating: "a", count: 64), "../x",
                    "a;rm -rf ~", "café", "a b"] {
            XCTAssertThrowsError(try Validate.name(bad), bad) { error in
                XCTAssertEqual(ExitCode64.of(error), 64)
            }
        }
    }

    func testImages() {
        for good in ["nginx", "nginx:1.25", "registry.example.com/shop:1.2.3", "localhost:5000/a/b_c:v1",
                     "shop@sha256:" + String(repeating: "a", count: 64), "ghcr.io/org/app:broken"] {
            XCTAssertTrue(Validate.isImageReference(good), good)
        }
        for bad in ["", "UPPER:tag", "a::b", "has space", "a:", ":tag", "a//b", "a:-tag"] {
            XCTAssertFalse(Validate.isImageReference(bad), bad)
        }
        XCTAssertEqual(Validate.splitImage("localhost:5000/a:v1").repository, "localhost:5000/a")
        XCTAssertEqual(Validate.splitImage("localhost:5000/a:v1").tag, "v1")
        XCTAssertNil(Validate.splitImage("localhost:5000/a").tag)
    }

    func testDurations() throws {
        XCTAssertEqual(try Validate.duration("90s"), 90)
        XCTAssertEqual(try Validate.duration("5m"), 300)
        XCTAssertEqual(try Validate.duration("1h30m"), 5400)
        XCTAssertEqual(try Validate.duration("500ms"), 0.5)
        for bad in ["", "5", "m", "-5s", "5x", "0s", "1.5h"] {
            XCTAssertThrowsError(try Validate.duration(bad), bad)
        }
    }

    func testKeyValue() throws {
        XCTAssertEqual(try Validate.keyValue("a=b=c").value, "b=c")
        XCTAssertThrowsError(try Validate.keyValue("novalue"))
        XCTAssertThrowsError(try Validate.keyValue("1a=b"))
        XCTAssertThrowsError(try Validate.keyValue("=b"))
    }

    func testQuotedEscapesControlCharacters() {
        XCTAssertEqual(Validate.quoted("a\nb"), "'a\\x0ab'")
    }
}

enum ExitCode64 {
    static func of(_ error: Error) -> Int {
        switch error as? PlatformError {
        case .invalidInput?, .usage?: return 64
        default: return 1
        }
    }
}

final class RenderingTests: XCTestCase {
    func testPlaceholders() {
        let renderer = PlaceholderRenderer(variables: ["name": "shop", "port": "8080"])
        XCTAssertEqual(renderer.render("{{name}}:{{ port }}"), "shop:8080")
        XCTAssertEqual(renderer.render("{{unknown}} {{ name"), "{{unknown}} {{ name")
        XCTAssertEqual(renderer.render("{{{name}}}"), "{shop}")
        XCTAssertEqual(renderer.render("no braces"), "no braces")
    }

    func testByteRenderingMatchesTheRulesOnLargeAndOddInput() {
        let renderer = PlaceholderRenderer(variables: ["name": "shop", "port": "8080"])
        let cases: [(String, String)] = [
            ("héllo {{\tname }} — {{port}}", "héllo shop — 8080"),
            ("{{name}}{{name}}", "shopshop"),
            ("{{ name", "{{ name"),
            ("{ {name}} {{na me}} {{}}", "{ {name}} {{na me}} {{}}"),
            ("tail {{name}}}", "tail shop}"),
            ("abc", "abc"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(String(decoding: renderer.render(Data(input.utf8)), as: UTF8.self), expected, input)
            XCTAssertEqual(renderer.render(input), expected, input)
        }
        let big = String(repeating: "x{y}z ", count: 200_000) + "{{name}}"
        XCTAssertEqual(renderer.render(Data(big.utf8)), Data((String(repeating: "x{y}z ", count: 200_000) + "shop").utf8))
    }

    func testBuiltins() {
        XCTAssertEqual(PlaceholderRenderer.builtins(name: "order-api"),
                       ["name": "order-api", "name_snake": "order_api", "name_pascal": "OrderApi"])
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data(String(repeating: "a", count: 1000).utf8)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        var incremental = SHA256()
        incremental.update(Data("a".utf8))
        incremental.update(Data("bc".utf8))
        XCTAssertEqual(incremental.finalize(), SHA256.hex(Data("abc".utf8)))
    }

    func testTemplateReferences() throws {
        XCTAssertEqual(try TemplateReference.parse("python/flask"), .id("python/flask"))
        XCTAssertEqual(try TemplateReference.parse("./mine"), .path("./mine"))
        XCTAssertEqual(try TemplateReference.parse("git+file:///srv/t.git//python/flask@v1"),
                       .git(url: "file:///srv/t.git", subdirectory: "python/flask", ref: "v1"))
        XCTAssertEqual(try TemplateReference.parse("git+ssh://git@host/t.git"),
                       .git(url: "ssh://git@host/t.git", subdirectory: nil, ref: nil))
        XCTAssertEqual(try TemplateReference.parse("git+https://host/t.git@main"),
                       .git(url: "https://host/t.git", subdirectory: nil, ref: "main"))
        XCTAssertThrowsError(try TemplateReference.parse("git+file:///t.git//../etc"))
        XCTAssertThrowsError(try TemplateReference.parse("python"))
        XCTAssertThrowsError(try TemplateReference.parse("a/b/c"))
    }

    func testLineSplitter() {
        var splitter = LineSplitter()
        XCTAssertEqual(splitter.feed(Data("a\nb".utf8)), [Data("a\n".utf8)])
        XCTAssertEqual(splitter.feed(Data("c\nd\n".utf8)), [Data("bc\n".utf8), Data("d\n".utf8)])
        XCTAssertEqual(splitter.feed(Data("tail".utf8)), [])
        XCTAssertEqual(splitter.finish(), Data("tail\n".utf8))
        XCTAssertNil(splitter.finish())
    }

    func testRedactor() {
        XCTAssertTrue(Redactor.isSecretKey("db_password"))
        XCTAssertTrue(Redactor.isSecretKey("API_TOKEN"))
        XCTAssertFalse(Redactor.isSecretKey("port"))
        XCTAssertEqual(Redactor(secrets: ["hunter2"]).redact(["x=hunter2", "y"]), ["x=******", "y"])
    }
}

final class ProcessRunnerTests: XCTestCase {
    let runner = ProcessRunner(environment: ProcessInfo.processInfo.environment)

    func testCaptureStdoutStderrAndStatus() async throws {
        let result = try await runner.capture(Command("ls", ["/", "/definitely-missing"]))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stdoutText.contains("usr"))
        XCTAssertTrue(result.stderrText.contains("definitely-missing"))
    }

    func testStdinIsWrittenAndLargeOutputDoesNotDeadlock() async throws {
        let input = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        let result = try await runner.capture(Command("cat", [], input: input))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, input)
    }

    func testCaptureLimitIsAnError() async throws {
        do {
            _ = try await runner.capture(Command("cat", [], input: Data(count: 4096)), limit: 100)
            XCTFail("expected the limit to be enforced")
        } catch let error as PlatformError {
            XCTAssertEqual(error.kind, "failed")
        }
    }

    func testMissingToolIsToolMissing() async {
        do {
            _ = try await runner.capture(Command("no-such-tool-xyz", []))
            XCTFail("expected toolMissing")
        } catch {
            XCTAssertEqual((error as? PlatformError)?.kind, "tool_missing")
        }
    }

    func testCheckedKeepsArgvAndStderrTail() async {
        do {
            _ = try await runner.checked(Command("ls", ["/definitely-missing"]))
            XCTFail("expected failure")
        } catch PlatformError.toolFailed(let argv, let status, let tail) {
            XCTAssertEqual(argv, ["ls", "/definitely-missing"])
            XCTAssertNotEqual(status, 0)
            XCTAssertTrue(tail.contains("definitely-missing"))
        } catch {
            XCTFail("\(error)")
        }
    }

    func testStreamDeliversChunksInOrder() async throws {
        let collected = BufferSink()
        let status = try await runner.stream(Command("seq", ["1", "20000"]), stdout: .chunks { collected.write($0) },
                                             stderr: .discard)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(collected.text, (1...20000).map { "\($0)\n" }.joined())
    }

    func testForwardedSignalStopsChildAndReportsInterrupted() async throws {
        let signals = SignalForwarder()
        // As the CLI does: catch SIGINT (the test runner may have inherited it ignored, and an ignored
        // signal would stay ignored in the child too).
        signals.install(whenIdle: { _ in })
        let runner = ProcessRunner(environment: ProcessInfo.processInfo.environment, signals: signals)
        Task {
            try await Task.sleep(nanoseconds: 300_000_000)
            signals.deliver(SIGINT)
        }
        let started = Date()
        do {
            _ = try await runner.capture(Command("sleep", ["30"]))
            XCTFail("expected interrupted")
        } catch {
            XCTAssertEqual(error as? PlatformError, .interrupted(signal: SIGINT))
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "the child was not stopped")
    }

    /// A cancelled wait stops the child with SIGTERM; one that ignores it gets SIGKILL after the grace
    /// period (swift-subprocess's teardown). Before, the run waited for the child's two minutes and
    /// returned its exit 0.
    func testACancelledChildThatIgnoresSIGTERMGetsSIGKILLAfterTheGracePeriod() async throws {
        let runner = ProcessRunner(environment: ProcessInfo.processInfo.environment,
                                   signals: SignalForwarder(teardown: Teardown(gracePeriod: 0.5)))
        let ready = AsyncStream<Void>.makeStream()
        let script = """
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("ready", flush=True)
            time.sleep(120)
            """
        let run = Task {
            try await runner.stream(Command("python3", ["-c", script]),
                                    stdout: .chunks { _ in ready.continuation.yield() }, stderr: .discard)
        }
        for await _ in ready.stream { break }
        run.cancel()
        let status = try await run.value
        XCTAssertEqual(status, 128 + SIGKILL, "killed, not finished by itself")
    }

    /// A cancelled child that stops on SIGTERM, whose own child (in its process group) ignores it: the
    /// leftover gets SIGKILL after the grace period, and the run returns only once it is gone. Before,
    /// it got SIGTERM only and kept running after the run returned. (The leftover lets go of the output
    /// pipe, as a daemon does; one that holds it keeps the run waiting for the pipe's end anyway.)
    func testWhatACancelledChildLeavesInItsProcessGroupGetsSIGKILLBeforeTheRunReturns() async throws {
        let runner = ProcessRunner(environment: ProcessInfo.processInfo.environment,
                                   signals: SignalForwarder(teardown: Teardown(gracePeriod: 0.5)))
        let printed = AsyncStream<String>.makeStream()
        let script = """
            import os, signal, time
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                print(os.getpid(), flush=True)
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
                time.sleep(120)
                os._exit(0)
            time.sleep(120)
            """
        let run = Task {
            try await runner.stream(Command("python3", ["-c", script]), stdout: .chunks {
                printed.continuation.yield(String(decoding: $0, as: UTF8.self))
            }, stderr: .discard)
        }
        var grandchild: Int32?
        for await text in printed.stream {
            grandchild = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            break
        }
        let pid = try XCTUnwrap(grandchild, "the grandchild's pid")
        run.cancel()
        let status = try await run.value
        XCTAssertEqual(status, 128 + SIGTERM, "the child itself stopped on SIGTERM")
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let state = stat.lastIndex(of: ")").map { stat[stat.index(after: $0)...].split(separator: " ").first } ?? nil
        XCTAssertTrue(state == nil || state == "Z", "the grandchild \(pid) still runs: \(stat)")
        if state != nil { kill(pid, SIGKILL) }
    }

    func testTeardownGraceComesFromTheEnvironment() throws {
        XCTAssertEqual(try Teardown.from(environment: [:]).gracePeriod, 10)
        XCTAssertEqual(try Teardown.from(environment: [Teardown.environmentVariable: "2s"]).gracePeriod, 2)
        XCTAssertEqual(try Teardown.from(environment: [Teardown.environmentVariable: "250ms"]).gracePeriod, 0.25)
        XCTAssertThrowsError(try Teardown.from(environment: [Teardown.environmentVariable: "soon"])) { error in
            XCTAssertTrue("\(error)".contains("invalid PLATFORM_TERMINATION_GRACE 'soon'"), "\(error)")
        }
    }

    func testVerboseEchoRedactsSecrets() async throws {
        let echoed = BufferSink()
        let runner = ProcessRunner(environment: ProcessInfo.processInfo.environment,
                                   redactor: Redactor(secrets: ["s3cr3t"]),
                                   echo: { echoed.write($0.joined(separator: " ")) })
        _ = try await runner.capture(Command("echo", ["pw=s3cr3t"]))
        XCTAssertEqual(echoed.text, "echo pw=******")
    }
}
