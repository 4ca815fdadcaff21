import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// SIGTERM (and SIGINT) sent to `platform` during `logs -f`, `deploy` and `create`: the documented exit
/// code, and no process it started (children or their children) is left running.
final class ReliabilitySignalTests: XCTestCase {
    /// Sends `signal` once a descendant runs, waits for the exit, then checks every descendant seen is gone.
    func interrupt(_ program: RunningPlatform, with signal: Int32, expect code: Int32,
                   file: StaticString = #filePath, line: UInt = #line) async throws {
        var live: Set<Int32> = []
        for _ in 0..<400 where live.isEmpty {
            live = program.noteDescendants()
            if live.isEmpty { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        XCTAssertFalse(live.isEmpty, "no child process seen before the signal", file: file, line: line)
        kill(program.pid, signal)
        let status = program.exitStatus(within: 60)
        XCTAssertEqual(status, code, program.stderr, file: file, line: line)
        // Children that had not exited yet when platform did would be orphans now; give them no grace.
        let leftovers = program.seenDescendants.filter(ProcessTree.isAlive)
        XCTAssertEqual(leftovers, [], "processes left running: \(leftovers.map(Self.commandLine))", file: file, line: line)
        for pid in leftovers { kill(pid, SIGKILL) }
    }

    static func commandLine(_ pid: Int32) -> String {
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return "\(pid): " + String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }

    /// A child that ignores SIGTERM and SIGINT: platform forwards the signal, waits the grace period
    /// (PLATFORM_TERMINATION_GRACE) and then SIGKILLs it, exits 143 and leaves nothing running. Without
    /// the escalation platform waited for the child's two minutes (exitStatus gives up after 60 s).
    func testAChildThatIgnoresSIGTERMGetsSIGKILLAfterTheGracePeriod() async throws {
        let sandbox = try Sandbox()
        let script = """
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("ready", flush=True)
            time.sleep(120)
            """
        let env = sandbox.environment(extra: [Teardown.environmentVariable: "1s"])
        let program = try RunningPlatform(["__exec", "--", "python3", "-c", script], environment: env,
                                          directory: sandbox.work)
        try await program.waitFor("the child ignoring SIGTERM") { $0.stdout.contains("ready") }
        try await interrupt(program, with: SIGTERM, expect: 143)
    }

    /// A child that stops on SIGTERM but has started a process of its own, in its process group, that
    /// ignores SIGTERM: once the child has exited, platform signals what it left in its group with
    /// SIGTERM and, after the same grace period, SIGKILL; it exits 143 and leaves nothing running.
    /// With SIGTERM alone the grandchild stayed, reparented, for its two minutes.
    func testWhatAStoppedChildLeavesInItsProcessGroupGetsSIGKILLAfterTheGracePeriod() async throws {
        let sandbox = try Sandbox()
        let script = """
            import os, signal, time
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                print("grandchild ready", flush=True)
                time.sleep(120)
                os._exit(0)
            time.sleep(120)
            """
        let env = sandbox.environment(extra: [Teardown.environmentVariable: "1s"])
        let program = try RunningPlatform(["__exec", "--", "python3", "-c", script], environment: env,
                                          directory: sandbox.work)
        try await program.waitFor("the grandchild ignoring SIGTERM") { $0.stdout.contains("grandchild ready") }
        XCTAssertEqual(program.noteDescendants().count, 2, "the child and its child run")
        try await interrupt(program, with: SIGTERM, expect: 143)
    }

    /// platform SIGKILLed (nothing of it runs any more) while a child runs: on Linux the child gets
    /// SIGTERM from the kernel (PR_SET_PDEATHSIG, set between fork and exec) and is gone too. With
    /// Foundation's Process it stayed running, reparented, for its ten minutes.
    func testAChildDiesWithPlatformWhenPlatformIsSIGKILLed() async throws {
        let sandbox = try Sandbox()
        let program = try RunningPlatform(["__exec", "--", "sleep", "600"], environment: sandbox.environment(),
                                          directory: sandbox.work)
        var children: Set<Int32> = []
        for _ in 0..<400 where children.isEmpty {
            children = program.noteDescendants()
            if children.isEmpty { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        XCTAssertFalse(children.isEmpty, "no child seen")
        kill(program.pid, SIGKILL)
        XCTAssertEqual(program.exitStatus(within: 30), SIGKILL)
        // The kernel signals the orphan at once; allow it a bounded moment to exit.
        var alive = children.filter(ProcessTree.isAlive)
        for _ in 0..<200 where !alive.isEmpty {
            try await Task.sleep(nanoseconds: 50_000_000)
            alive = alive.filter(ProcessTree.isAlive)
        }
        XCTAssertEqual(alive, [], "children left running: \(alive.map(Self.commandLine))")
        for pid in alive { kill(pid, SIGKILL) }
    }

    /// `logs -f` streaming, then `signal`: the exit status is `expect` and no process is left.
    func followLogs(thenSend signal: Int32, expect status: Int32) async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2, logLines: 5)
        defer { cluster.stop(); cluster.removeFiles() }
        await Reliability.createApp(sandbox, cluster)
        let env = Reliability.environment(sandbox, cluster)
        let program = try RunningPlatform(["logs", "shop", "-e", "dev", "-f"], environment: env, directory: sandbox.work)
        try await program.waitFor("log lines") { $0.stdout.contains("[pod/") }
        try await interrupt(program, with: signal, expect: status)
    }

    func testSIGTERMDuringLogsFollowExits143AndLeavesNoProcess() async throws {
        try await followLogs(thenSend: SIGTERM, expect: 143)
    }

    func testSIGINTDuringLogsFollowExits130AndLeavesNoProcess() async throws {
        try await followLogs(thenSend: SIGINT, expect: 130)
    }

    func testSIGTERMDuringDeployExits143AndLeavesNoProcess() async throws {
        let sandbox = try Sandbox()
        // New pods take ten minutes to become ready: the deploy is still watching when the signal comes.
        let cluster = try TestCluster(readyDelay: 600)
        defer { cluster.stop(); cluster.removeFiles() }
        await Reliability.createApp(sandbox, cluster)
        let env = Reliability.environment(sandbox, cluster)
        let program = try RunningPlatform(["deploy", "shop", "-e", "dev", "--image", Reliability.v2],
                                          environment: env, directory: sandbox.work)
        try await program.waitFor("the rollout wait") { $0.stderr.contains("updated") }
        try await interrupt(program, with: SIGTERM, expect: 143)
    }

    func testSIGTERMDuringCreateExits143LeavesNoProcessReleasesTheLockAndARerunConverges() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let module = try Reliability.writeSlowModule(sandbox, seconds: 3)
        let env = Reliability.environment(sandbox, cluster, extra: ["PLATFORM_MODULE_SOURCE": module])
        let program = try RunningPlatform(["create", "shop", "-e", "dev", "-v"], environment: env, directory: sandbox.work)
        try await program.waitFor("terraform apply") { $0.stderr.contains("Provisioning with 'local-exec'") }
        try await interrupt(program, with: SIGTERM, expect: 143)
        XCTAssertEqual(try cluster.objects(kind: "Deployment"), [], "stopped before Kubernetes")
        XCTAssertFalse(FileManager.default.fileExists(atPath: Reliability.workspace(sandbox) + "/.terraform.tfstate.lock.info"),
                       "terraform's state lock released")

        let rerun = await runCLI(["create", "shop", "-e", "dev"], environment: env, directory: sandbox.work)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let check = await runCLI(["create", "shop", "-e", "dev", "--dry-run", "--detailed-exitcode"], environment: env,
                                 directory: sandbox.work)
        XCTAssertEqual(check.status, 0, "converged: \(check.stdout)\n\(check.stderr)")
    }
}
