import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class LogsEndToEndTests: XCTestCase {
    func podNames(_ app: AppFixture) throws -> [String] {
        try app.pods().map(RolloutRules.podName).sorted()
    }

    func testLogsPrintThePrefixedLinesOfEveryPod() async throws {
        let app = try await AppFixture(replicas: 3)
        defer { app.stop() }
        try await app.waitForReadyPods(3)
        let names = try podNames(app)
        let run = await app.platform(["logs", "shop", "--lines", "3"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 9, run.stdout)
        for name in names {
            let mine = lines.filter { $0.hasPrefix("[pod/\(name)/shop] ") }
            XCTAssertEqual(mine.count, 3, "\(name): \(run.stdout)")
            XCTAssertTrue(mine.allSatisfy { $0.contains(" INFO ") }, run.stdout)
        }
        let grep = await app.platform(["logs", "shop", "--grep", "started on port", "--timestamps"])
        XCTAssertEqual(grep.status, 0, grep.stderr)
        XCTAssertEqual(grep.stdout.split(separator: "\n").count, 3, grep.stdout)
        XCTAssertTrue(grep.stdout.contains("/shop] 20"), grep.stdout)  // the timestamp comes right after the prefix
    }

    func testTheBinaryPassesKubectlsOutputStraightThroughWithTheSamePrefixes() async throws {
        // The built binary's stdout is its own fd 1, so each `kubectl logs --prefix` writes to it
        // directly; the in-process run goes through the line writer. Both must print the same lines.
        let app = try await AppFixture(replicas: 2)
        defer { app.stop() }
        try await app.waitForReadyPods(2)
        let inProcess = await app.platform(["logs", "shop", "--lines", "4", "--timestamps"])
        XCTAssertEqual(inProcess.status, 0, inProcess.stderr)
        let binary = try await runProgram([Repo.binary, "logs", "shop", "-e", app.environment, "--lines", "4", "--timestamps"],
                                          environment: app.environmentVariables, directory: app.sandbox.work)
        XCTAssertEqual(binary.status, 0, binary.stderrText)
        XCTAssertEqual(binary.stdoutText.split(separator: "\n").count, 8, binary.stdoutText)
        XCTAssertEqual(binary.stdoutText, inProcess.stdout)
        for name in try podNames(app) {
            XCTAssertTrue(binary.stdoutText.contains("[pod/\(name)/shop] 20"), binary.stdoutText)
        }
    }

    func testLogsOfAnUnknownAppExit1() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let run = await app.platform(["logs", "cart"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("app 'cart' not found in environment 'staging'"), run.stderr)
        XCTAssertEqual(run.stdout, "")
    }

    func testFollowPicksUpAPodCreatedAfterItStartedAndDropsTheGoneOne() async throws {
        let app = try await AppFixture(replicas: 1)
        defer { app.stop() }
        try await app.waitForReadyPods(1)
        let first = try XCTUnwrap(podNames(app).first)
        let program = try RunningPlatform(["logs", "shop", "-e", "staging", "-f", "--lines", "1", "--follow-for", "6s"],
                                      environment: app.environmentVariables, directory: app.sandbox.work)
        try await program.waitFor("the first pod's lines", within: 20) { $0.stdout.contains("[pod/\(first)/shop] ") }
        // The ReplicaSet replaces a deleted Pod: a Pod that appears after logs -f started.
        try app.cluster.deletePod(namespace: "staging", name: first)
        try await app.waitForReadyPods(1)
        let second = try XCTUnwrap(podNames(app).first { $0 != first })
        try await program.waitFor("the new pod's lines", within: 20) { $0.stdout.contains("[pod/\(second)/shop] ") }
        let linesOfFirstBeforeExit = program.stdout.components(separatedBy: "[pod/\(first)/shop] ").count
        XCTAssertEqual(program.exitStatus(within: 30), 0, program.stderr)
        // nothing more from the gone Pod once the new one streams
        XCTAssertEqual(program.stdout.components(separatedBy: "[pod/\(first)/shop] ").count, linesOfFirstBeforeExit)
        let lines = program.stdout.split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("[pod/\(first)/shop] ") || $0.hasPrefix("[pod/\(second)/shop] ") },
                      program.stdout)
    }

    /// A crash-looping container (image tag `crash`: each instance logs four lines ending in
    /// `ERROR fatal`, exits, and is restarted after a back-off): the kubelet ends the follow of the
    /// instance that stopped, and platform starts a new stream when the container's restartCount
    /// changes, as stern re-tails a container whose container ID changed. So the log of the next
    /// instance is printed too, and nothing is warned about. Without the new stream the follow printed
    /// one instance and then nothing more (this test then gives up waiting).
    func testFollowPicksUpAContainerAgainAfterItRestarts() async throws {
        let app = try await AppFixture(image: "registry.example.com/shop:crash", replicas: 1)
        defer { app.stop() }
        try await app.waitUntil("the pod exists") { try !app.pods().isEmpty }
        let pod = try XCTUnwrap(podNames(app).first)
        let program = try RunningPlatform(["logs", "shop", "-e", "staging", "-f"],
                                          environment: app.environmentVariables, directory: app.sandbox.work)
        let fatal = "[pod/\(pod)/shop] "
        func instancesShown(_ program: RunningPlatform) -> Int {
            program.stdout.split(separator: "\n").filter { $0.hasPrefix(fatal) && $0.hasSuffix("ERROR fatal: dial tcp 10.96.0.20:5432: connect: connection refused") }.count
        }
        try await program.waitFor("the log of the instance after a restart", within: 40) { instancesShown($0) >= 2 }
        let restarts = try XCTUnwrap(app.pods().first?["status", "containerStatuses"]?.arrayValue?.first?["restartCount"]?.intValue)
        XCTAssertGreaterThan(restarts, 0, "the container has restarted")
        kill(program.pid, SIGINT)
        XCTAssertEqual(program.exitStatus(within: 30), 130, program.stderr)
        XCTAssertTrue(program.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix(fatal) }, program.stdout)
        XCTAssertFalse(program.stderr.contains("no logs from"), program.stderr)
    }

    func testCtrlCDuringFollowExits130AndStopsEveryKubectl() async throws {
        let app = try await AppFixture(replicas: 2)
        defer { app.stop() }
        try await app.waitForReadyPods(2)
        let program = try RunningPlatform(["logs", "shop", "-e", "staging", "-f"],
                                      environment: app.environmentVariables, directory: app.sandbox.work)
        try await program.waitFor("lines of both pods", within: 20) { program in
            (try? self.podNames(app))?.allSatisfy { program.stdout.contains("[pod/\($0)/shop] ") } == true
        }
        let children = ProcessTree.children(of: program.pid)
        XCTAssertGreaterThanOrEqual(children.count, 2, "one kubectl logs -f per pod")
        kill(program.pid, SIGINT)
        XCTAssertEqual(program.exitStatus(within: 30), 130, program.stderr)
        XCTAssertEqual(children.filter(ProcessTree.isAlive), [])
        XCTAssertTrue(program.stderr.contains("interrupted"), program.stderr)
    }
}
