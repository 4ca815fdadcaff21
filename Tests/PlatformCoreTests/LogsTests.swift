import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class LogsTests: XCTestCase {
    typealias F = Fixture

    func run(_ runner: FakeCommandRunner, _ request: LogsRequest, reporter: ProgressReporter = SilentReporter()) async throws -> String {
        let sink = BufferSink()
        try await LogsService(kubectl: Kubectl(runner: runner, target: KubeTarget()), reporter: reporter,
                              signals: SignalForwarder(), pollInterval: 0)
            .run(request) { sink.write($0) }
        return sink.text
    }

    func testEveryStartedPodIsPrintedWithItsPrefixAndTheOptionsPassThrough() async throws {
        let runner = FakeCommandRunner([
            .init(F.getPods, result: F.podList([
                F.pod("shop-b", image: F.v2), F.pod("shop-a", image: F.v2),
                F.pod("shop-c", image: F.v2, ready: false, running: false),  // not started: no log yet
            ])),
            .init(["kubectl", "logs", "shop-a", "-n", F.env, "-c", F.app, "--tail=5", "--since=600s", "--timestamps"],
                  result: CommandResult(stdout: "one\ntwo\nlast without newline")),
            .init(["kubectl", "logs", "shop-b", "-n", F.env, "-c", F.app, "--tail=5", "--since=600s", "--timestamps"],
                  result: CommandResult(stdout: "three\n")),
        ])
        let output = try await run(runner, LogsRequest(app: F.app, environment: F.env, lines: 5, sinceSeconds: 600,
                                                       timestamps: true))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(output, """
        [pod/shop-a/shop] one
        [pod/shop-a/shop] two
        [pod/shop-a/shop] last without newline
        [pod/shop-b/shop] three

        """)
    }

    func testGrepKeepsOnlyMatchingLines() async throws {
        let runner = FakeCommandRunner([
            .init(F.getPods, result: F.podList([F.pod("shop-a", image: F.v2)])),
            .init(["kubectl", "logs", "shop-a", "-n", F.env, "-c", F.app, "--tail=100"],
                  result: CommandResult(stdout: "INFO ok\nERROR bad\nINFO fine\nERROR worse\n")),
        ])
        let output = try await run(runner, LogsRequest(app: F.app, environment: F.env, grep: "ERROR"))
        XCTAssertEqual(output, "[pod/shop-a/shop] ERROR bad\n[pod/shop-a/shop] ERROR worse\n")
        XCTAssertEqual(runner.unmet(), [])
    }

    func testNoPodsAndNoAppIsAClearFailure() async throws {
        let runner = FakeCommandRunner([
            .init(F.getPods, result: F.podList([])),
            .init(F.getDeployment, result: CommandResult(stdout: "")),
        ])
        do {
            _ = try await run(runner, LogsRequest(app: F.app, environment: F.env))
            XCTFail("expected a failure")
        } catch PlatformError.failed(let message) {
            XCTAssertTrue(message.contains("app 'shop' not found in environment 'dev'"), message)
        }
        let noPods = FakeCommandRunner([
            .init(F.getPods, result: F.podList([])),
            .init(F.getDeployment, result: F.json(F.deployment(image: F.v1, replicas: 0))),
        ])
        do {
            _ = try await run(noPods, LogsRequest(app: F.app, environment: F.env))
            XCTFail("expected a failure")
        } catch PlatformError.failed(let message) {
            XCTAssertEqual(message, "app shop has no pods in environment dev")
        }
    }

    func testUnknownContainerIsRejectedWithTheKnownOnes() async throws {
        let runner = FakeCommandRunner([.init(F.getPods, result: F.podList([F.pod("shop-a", image: F.v2)]))])
        do {
            _ = try await run(runner, LogsRequest(app: F.app, environment: F.env, container: "proxy"))
            XCTFail("expected invalid input")
        } catch PlatformError.invalidInput(let message) {
            XCTAssertTrue(message.contains("'proxy'") && message.contains("containers: shop"), message)
        }
    }

    func testAFailingPodIsAWarningWhileOthersArePrinted() async throws {
        let runner = FakeCommandRunner([
            .init(F.getPods, result: F.podList([F.pod("shop-a", image: F.v2), F.pod("shop-b", image: F.v2)])),
            .init(["kubectl", "logs", "shop-a", "-n", F.env, "-c", F.app, "--tail=100"],
                  result: CommandResult(status: 1, stdout: "", stderr: "Error from server (NotFound): pods \"shop-a\" not found")),
            .init(["kubectl", "logs", "shop-b", "-n", F.env, "-c", F.app, "--tail=100"],
                  result: CommandResult(stdout: "hello\n")),
        ])
        let reporter = RecordingReporter()
        let output = try await run(runner, LogsRequest(app: F.app, environment: F.env), reporter: reporter)
        XCTAssertEqual(output, "[pod/shop-b/shop] hello\n")
        XCTAssertTrue(reporter.text.contains("warning: no logs from shop-a/shop: Error from server (NotFound)"), reporter.text)
    }

    func testFollowStartsStreamsForPodsThatAppearLater() async throws {
        // Look 1: shop-a. Look 2 (after one poll): shop-a gone, shop-b new. Bound reached after that.
        let runner = FakeCommandRunner([
            .init(F.getPods, result: F.podList([F.pod("shop-a", image: F.v1)])),
            .init(["kubectl", "logs", "shop-a", "-n", F.env, "-c", F.app, "--tail=100", "-f"],
                  result: CommandResult(stdout: "from a\n")),
            .init(F.getPods, result: F.podList([F.pod("shop-b", image: F.v2)])),
            .init(["kubectl", "logs", "shop-b", "-n", F.env, "-c", F.app, "--tail=100", "-f"],
                  result: CommandResult(stdout: "from b\n")),
        ])
        let sink = BufferSink()
        try await LogsService(kubectl: Kubectl(runner: runner, target: KubeTarget()), reporter: SilentReporter(),
                              signals: SignalForwarder(), pollInterval: 0.6)
            .run(LogsRequest(app: F.app, environment: F.env, follow: true, followLimit: 0.9)) { sink.write($0) }
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(sink.text.split(separator: "\n").sorted(), ["[pod/shop-a/shop] from a", "[pod/shop-b/shop] from b"])
    }

    func testConcurrentStreamsNeverTearLines() {
        let sink = BufferSink()
        let writer = PrefixedLineWriter(grep: nil) { sink.write($0) }
        DispatchQueue.concurrentPerform(iterations: 8) { stream in
            let (consume, finish) = writer.consumer(prefix: "pod-\(stream) | ")
            // Each stream writes 200 lines in chunks that cut lines in the middle.
            let text = (0..<200).map { "line \($0) of stream \(stream) " + String(repeating: "x", count: $0 % 37) }
                .joined(separator: "\n") + "\n"
            let bytes = Array(text.utf8)
            var index = 0
            var size = 1
            while index < bytes.count {
                let end = min(bytes.count, index + size)
                consume(Data(bytes[index..<end]))
                index = end
                size = size % 13 + 1
            }
            finish()
        }
        let lines = sink.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 8 * 200)
        for line in lines {
            let pattern = "^pod-([0-7]) \\| line [0-9]+ of stream \\1 x*$"
            XCTAssertNotNil(line.range(of: pattern, options: .regularExpression), "torn line: \(line)")
        }
        XCTAssertEqual(writer.linesWritten, 1600)
    }
}
