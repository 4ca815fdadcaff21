import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Faults around the tools, the cluster and the disk: each ends in a documented exit code with a
/// clear error, and a rerun once the fault is gone converges.
final class ReliabilityFaultTests: XCTestCase {
    /// A PATH folder holding only the named tools (symlinks to the real ones).
    func pathWith(_ tools: [String], in sandbox: Sandbox) throws -> String {
        let folder = sandbox.root + "/path-" + (tools.isEmpty ? "none" : tools.joined(separator: "-"))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let search = (sandbox.environment()["PATH"] ?? "").split(separator: ":").map(String.init)
        for tool in tools {
            guard let real = search.map({ $0 + "/" + tool }).first(where: FileManager.default.isExecutableFile) else {
                throw XCTSkip("\(tool) is not installed")
            }
            try FileManager.default.createSymbolicLink(atPath: folder + "/" + tool, withDestinationPath: real)
        }
        // terraform's launcher is a python script: keep python3 reachable through /usr/bin/env.
        if let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile) {
            try? FileManager.default.createSymbolicLink(atPath: folder + "/python3", withDestinationPath: python)
        }
        return folder
    }

    func testMissingToolExits69NamingItAndARunWithTheToolConverges() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let noTerraform = try pathWith(["kubectl", "git"], in: sandbox)
        let noKubectl = try pathWith(["terraform", "git"], in: sandbox)
        let cases: [([String], String, String)] = [
            (["create", "shop", "-e", "dev"], noTerraform, "terraform not found on PATH"),
            (["create", "shop", "-e", "dev"], noKubectl, "kubectl not found on PATH"),
            (["deploy", "shop", "-e", "dev", "--image", Reliability.v2], noKubectl, "kubectl not found on PATH"),
            (["logs", "shop", "-e", "dev"], noKubectl, "kubectl not found on PATH"),
            (["status", "shop", "-e", "dev"], noKubectl, "kubectl not found on PATH"),
            (["releases", "shop", "-e", "dev"], noKubectl, "kubectl not found on PATH"),
            (["destroy", "shop", "-e", "dev", "--yes"], noTerraform, "terraform not found on PATH"),
        ]
        for (argv, path, message) in cases {
            let env = Reliability.environment(sandbox, cluster, extra: ["PATH": path])
            let result = try await runProgram([Repo.binary] + argv, environment: env, directory: sandbox.work)
            XCTAssertEqual(result.status, 69, "\(argv) with PATH=\(path): \(result.stderrText)")
            XCTAssertTrue(result.stderrText.contains("error: " + message), "\(argv): \(result.stderrText)")
            XCTAssertEqual(result.stdoutText, "")
        }
        XCTAssertEqual(try Reliability.writes(cluster), [], "nothing was applied to the cluster")
        XCTAssertNil(Reliability.stateResources(sandbox), "terraform never ran")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.state + "/workspaces"),
                       "a missing tool is found before any workspace is written")

        await Reliability.createApp(sandbox, cluster)
        XCTAssertEqual(try Reliability.deploymentImage(cluster), Reliability.v1)
    }

    func testAPIServerAnswering500ToApplyExits1AndARerunConverges() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        try cluster.fault(method: "PATCH", pathPrefix: "/api", status: 500)
        let env = Reliability.environment(sandbox, cluster)
        let failed = await runCLI(["create", "shop", "-e", "dev", "--image", Reliability.v1], environment: env,
                                  directory: sandbox.work)
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("error: kubectl"), failed.stderr)
        XCTAssertEqual(failed.stdout, "")
        XCTAssertNil(try cluster.object(kind: "Deployment", namespace: "dev", name: "shop"))

        try cluster.clearFaults()
        let rerun = await runCLI(["create", "shop", "-e", "dev", "--image", Reliability.v1], environment: env,
                                 directory: sandbox.work)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try Reliability.deploymentImage(cluster), Reliability.v1)
        let check = await runCLI(["create", "shop", "-e", "dev", "--image", Reliability.v1, "--dry-run", "--detailed-exitcode"],
                                 environment: env, directory: sandbox.work)
        XCTAssertEqual(check.status, 0, "converged: \(check.stdout)\n\(check.stderr)")
    }

    func testAPIServerStoppedBetweenTerraformAndKubectlExits1AndARerunConverges() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let module = try Reliability.writeSlowModule(sandbox, seconds: 2)
        let env = Reliability.environment(sandbox, cluster, extra: ["PLATFORM_MODULE_SOURCE": module])
        let program = try RunningPlatform(["create", "shop", "-e", "dev", "-v"], environment: env, directory: sandbox.work)
        // terraform has read the cluster's answers and is inside apply: stop the API server now.
        try await program.waitFor("terraform apply") { $0.stderr.contains("Provisioning with 'local-exec'") }
        cluster.stop()
        XCTAssertEqual(program.exitStatus(), 1, program.stderr)
        XCTAssertTrue(program.stderr.contains("error: kubectl"), program.stderr)
        XCTAssertTrue(program.stderr.contains("Apply complete!"), "terraform finished before kubectl: \(program.stderr)")
        XCTAssertEqual(Reliability.stateResources(sandbox), 1, "terraform state intact")
        XCTAssertFalse(FileManager.default.fileExists(atPath: Reliability.workspace(sandbox) + "/.terraform.tfstate.lock.info"))

        // The cluster is back (a new server: same app, empty cluster): the rerun converges.
        let back = try TestCluster(readyDelay: 0.2)
        defer { back.stop(); back.removeFiles() }
        let envBack = Reliability.environment(sandbox, back, extra: ["PLATFORM_MODULE_SOURCE": module])
        let rerun = await runCLI(["create", "shop", "-e", "dev"], environment: envBack, directory: sandbox.work)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertNotNil(try back.object(kind: "Deployment", namespace: "dev", name: "shop"))
        XCTAssertEqual(Reliability.stateResources(sandbox), 1)
        let check = await runCLI(["create", "shop", "-e", "dev", "--dry-run", "--detailed-exitcode"], environment: envBack,
                                 directory: sandbox.work)
        XCTAssertEqual(check.status, 0, "converged: \(check.stdout)\n\(check.stderr)")
    }

    func testRolloutThatNeverBecomesReadyEndsAtTheTimeoutWithoutLeavingTheNewImage() async throws {
        let sandbox = try Sandbox()
        // Pods of a new ReplicaSet take ten minutes to become ready: the rollout never finishes in time.
        let cluster = try TestCluster(readyDelay: 600)
        defer { cluster.stop(); cluster.removeFiles() }
        await Reliability.createApp(sandbox, cluster)
        let env = Reliability.environment(sandbox, cluster)
        let result = try await runProgram([Repo.binary, "deploy", "shop", "-e", "dev", "--image", Reliability.v2,
                                           "--timeout", "2s", "--rollback-timeout", "2s"],
                                          environment: env, directory: sandbox.work)
        XCTAssertTrue([3, 4].contains(result.status), "exit \(result.status): \(result.stderrText)")
        XCTAssertTrue(result.stderrText.contains("error: "), result.stderrText)
        XCTAssertTrue(result.stderrText.lowercased().contains("timed out") || result.stderrText.contains("not ready")
                      || result.stderrText.contains("2s"), result.stderrText)
        if result.status == 3 {
            XCTAssertEqual(try Reliability.deploymentImage(cluster), Reliability.v1, "rolled back")
        }
    }

    func testReadOnlyStateFolderFailsClearlyChangesNothingAndARerunConverges() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        await Reliability.createApp(sandbox, cluster)
        let env = Reliability.environment(sandbox, cluster)
        let state = FileManager.default.contents(atPath: Reliability.workspace(sandbox) + "/terraform.tfstate")

        // Root ignores permission bits, so as root the folder is made immutable instead (chattr +i).
        let readOnly = try await ReadOnlyFolder.make(sandbox.state)
        let failed = await runCLI(["create", "shop", "-e", "dev", "--replicas", "2"], environment: env, directory: sandbox.work)
        try await readOnly.restore()
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("error: "), failed.stderr)
        XCTAssertEqual(failed.stdout, "")
        XCTAssertEqual(try cluster.object(kind: "Deployment", namespace: "dev", name: "shop")?["spec", "replicas"],
                       .number(1), "nothing applied")
        XCTAssertEqual(FileManager.default.contents(atPath: Reliability.workspace(sandbox) + "/terraform.tfstate"), state)

        let rerun = await runCLI(["create", "shop", "-e", "dev", "--replicas", "2"], environment: env, directory: sandbox.work)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try cluster.object(kind: "Deployment", namespace: "dev", name: "shop")?["spec", "replicas"], .number(2))
    }

    /// Both deploys are recorded, one of the two images runs, and no deploy undoes the other by
    /// "rolling back" past it.
    func testTwoConcurrentDeploysOfOneAppEndWithOneOfTheImagesRecordedAndRunning() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        await Reliability.createApp(sandbox, cluster)
        let env = Reliability.environment(sandbox, cluster)
        let images = [Reliability.v2, Reliability.v3]
        async let one = runProgram([Repo.binary, "deploy", "shop", "-e", "dev", "--image", images[0], "--timeout", "20s"],
                                   environment: env, directory: sandbox.work)
        async let two = runProgram([Repo.binary, "deploy", "shop", "-e", "dev", "--image", images[1], "--timeout", "20s"],
                                   environment: env, directory: sandbox.work)
        let results = try await [one, two]
        for result in results {
            XCTAssertTrue([0, 1, 3].contains(result.status), "exit \(result.status): \(result.stderrText)")
            if result.status != 0 {
                XCTAssertTrue(result.stderrText.contains("error: "), result.stderrText)
            }
        }
        XCTAssertTrue(results.contains { $0.status == 0 }, "one of them deploys: \(results.map(\.stderrText))")
        let live = try XCTUnwrap(try Reliability.deploymentImage(cluster))
        XCTAssertTrue(images.contains(live), live)

        // The release history is readable and its newest successful entry is what runs.
        let releases = await runCLI(["releases", "shop", "-e", "dev", "-o", "json"], environment: env, directory: sandbox.work)
        XCTAssertEqual(releases.status, 0, releases.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(releases.stdout.utf8))
        let entries = document.arrayValue ?? document["releases"]?.arrayValue ?? []
        XCTAssertEqual(entries.count, 2, "both deploys are in the history: \(releases.stdout)")
        XCTAssertEqual(Set(entries.compactMap { $0["image"]?.stringValue }), Set(images), releases.stdout)
        let succeeded = entries.filter { $0["result"]?.stringValue == "succeeded" }
        let newest = succeeded.max { ($0["revision"]?.intValue ?? 0) < ($1["revision"]?.intValue ?? 0) }
        XCTAssertEqual(newest?["image"]?.stringValue, live, releases.stdout)

        // And a further deploy works normally afterwards.
        let after = await runCLI(["deploy", "shop", "-e", "dev", "--image", Reliability.v1], environment: env, directory: sandbox.work)
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(try Reliability.deploymentImage(cluster), Reliability.v1)
    }
}

/// Makes a folder tree unwritable for this process: `chattr +i` (files and folders) as root, where
/// permission bits do not apply; `chmod a-w` otherwise. Call `restore()` right after the run under
/// test (before the Sandbox is removed).
struct ReadOnlyFolder {
    let path: String
    let immutable: Bool

    /// The folder and everything in it except symlinks (chattr cannot flag those).
    var paths: [String] {
        var found = [path]
        let files = FileManager.default
        for relative in files.enumerator(atPath: path)?.allObjects as? [String] ?? [] {
            let full = path + "/" + relative
            let type = (try? files.attributesOfItem(atPath: full))?[.type] as? FileAttributeType
            if type != .typeSymbolicLink { found.append(full) }
        }
        return found
    }

    static func make(_ path: String) async throws -> ReadOnlyFolder {
        let folder = ReadOnlyFolder(path: path, immutable: geteuid() == 0)
        let result = try await runProgram(folder.immutable ? ["chattr", "+i"] + folder.paths : ["chmod", "-R", "a-w", path],
                                          environment: ProcessInfo.processInfo.environment)
        if result.status != 0 {
            throw XCTSkip("cannot make \(path) read-only here: \(result.stderrText)")
        }
        // Check it took: a new file must be refused.
        if FileManager.default.createFile(atPath: path + "/.probe", contents: Data()) {
            try? FileManager.default.removeItem(atPath: path + "/.probe")
            try await folder.restore()
            throw XCTSkip("\(path) is still writable after making it read-only")
        }
        return folder
    }

    func restore() async throws {
        _ = try await runProgram(immutable ? ["chattr", "-i"] + paths : ["chmod", "-R", "u+w", path],
                                 environment: ProcessInfo.processInfo.environment)
    }
}
