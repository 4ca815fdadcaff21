import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Shared pieces of the reliability suite (Reliability*Tests.swift; this file holds helpers only): an
/// app created with the real `platform create`, the built binary run as a live process, and
/// process-tree checks from /proc.
enum Reliability {
    static let v1 = "registry.example.com/shop:1.0.0"
    static let v2 = "registry.example.com/shop:2.0.0"
    static let v3 = "registry.example.com/shop:3.0.0"

    static func environment(_ sandbox: Sandbox, _ cluster: TestCluster, extra: [String: String] = [:]) -> [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates]) { _, b in b }
            .merging(extra) { _, b in b })
    }

    /// `platform create shop -e dev --image v1`, which must succeed.
    static func createApp(_ sandbox: Sandbox, _ cluster: TestCluster, extra: [String: String] = [:],
                          file: StaticString = #filePath, line: UInt = #line) async {
        let result = await runCLI(["create", "shop", "-e", "dev", "--image", v1],
                                  environment: environment(sandbox, cluster, extra: extra), directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    }

    static func workspace(_ sandbox: Sandbox, _ env: String = "dev", _ name: String = "shop") -> String {
        sandbox.state + "/workspaces/\(env)/\(name)"
    }

    /// Resource count in the workspace's terraform.tfstate (nil when there is none).
    static func stateResources(_ sandbox: Sandbox) -> Int? {
        guard let data = FileManager.default.contents(atPath: workspace(sandbox) + "/terraform.tfstate"),
              let state = try? JSONDecoder().decode(JSONValue.self, from: data) else { return nil }
        return state["resources"]?.arrayValue?.count
    }

    static func deploymentImage(_ cluster: TestCluster, namespace: String = "dev", name: String = "shop") throws -> String? {
        try cluster.object(kind: "Deployment", namespace: namespace, name: name)?["spec", "template", "spec", "containers"]?
            .arrayValue?.first?["image"]?.stringValue
    }

    /// The requests that changed something (everything but GET).
    static func writes(_ cluster: TestCluster) throws -> [JSONValue] {
        try cluster.requests().filter { ($0["method"]?.stringValue ?? "GET") != "GET" }
    }

    /// A Terraform module with the application module's variables whose apply runs `sleep SECONDS`,
    /// so a test can act while terraform is inside apply.
    static func writeSlowModule(_ sandbox: Sandbox, seconds: Int = 3) throws -> String {
        let folder = sandbox.root + "/slow-module"
        try sandbox.write(folder + "/main.tf", """
        variable "name" { type = string }
        variable "environment" { type = string }
        variable "domain" { type = string }
        variable "instance_type" { type = string }
        variable "replicas" { type = number }
        resource "terraform_data" "slow" {
          input = var.name
          provisioner "local-exec" { command = "sleep \(seconds)" }
        }
        output "endpoint" { value = "https://${var.name}.${var.environment}.${var.domain}" }
        """)
        return folder
    }
}

/// The built `platform` binary as a running process: output collected, exit awaited with a bound.
final class RunningPlatform: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private var descendantsSeen: Set<Int32> = []
    private let done = DispatchSemaphore(value: 0)

    init(_ arguments: [String], environment: [String: String], directory: String) throws {
        process.executableURL = URL(fileURLWithPath: Repo.binary)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] in self?.append($0.availableData, toErr: false) }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] in self?.append($0.availableData, toErr: true) }
        let done = self.done
        process.terminationHandler = { _ in done.signal() }
        // Not from a Swift concurrency thread's mask: the child must be able to receive SIGINT/SIGTERM.
        try process.runWithDefaultSignalMask()
    }

    private func append(_ data: Data, toErr: Bool) {
        lock.lock()
        if toErr { err.append(data) } else { out.append(data) }
        lock.unlock()
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }
    var pid: Int32 { process.processIdentifier }

    /// Polls (bounded: `seconds`) until `condition` holds, noting the process tree on the way.
    func waitFor(_ what: String, within seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line,
                 _ condition: (RunningPlatform) -> Bool) async throws {
        for _ in 0..<Int(seconds * 20) {
            noteDescendants()
            if condition(self) { return }
            if !process.isRunning { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("gave up waiting for \(what); stdout: \(stdout)\nstderr: \(stderr)", file: file, line: line)
    }

    /// Records every live descendant right now (children, grandchildren, ...).
    @discardableResult
    func noteDescendants() -> Set<Int32> {
        let now = ProcessTree.descendants(of: pid)
        lock.lock()
        descendantsSeen.formUnion(now)
        lock.unlock()
        return now
    }

    var seenDescendants: Set<Int32> { lock.lock(); defer { lock.unlock() }; return descendantsSeen }

    /// Waits for the exit (bounded) and returns the status; nil (and the process killed) on time-out.
    func exitStatus(within seconds: Double = 60) -> Int32? {
        guard done.wait(timeout: .now() + seconds) == .success else {
            kill(pid, SIGKILL)
            return nil
        }
        Thread.sleep(forTimeInterval: 0.1)  // let the pipe readers drain
        return process.terminationStatus
    }
}

/// The process tree from /proc.
enum ProcessTree {
    /// (pid, parent pid, state) of every process.
    static func table() -> [(pid: Int32, parent: Int32, state: Substring)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).compactMap { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let parent = Int32(fields[1]) else { return nil }
            return (pid, parent, fields[0])
        }
    }

    /// Live (non-zombie) descendants of `root`.
    static func descendants(of root: Int32) -> Set<Int32> {
        let all = table()
        var found: Set<Int32> = []
        var frontier: Set<Int32> = [root]
        while !frontier.isEmpty {
            let next = Set(all.filter { frontier.contains($0.parent) && $0.state != "Z" && !found.contains($0.pid) }.map(\.pid))
            found.formUnion(next)
            frontier = next
        }
        return found
    }

    /// Live (non-zombie) direct children of `pid`.
    static func children(of pid: Int32) -> [Int32] {
        table().filter { $0.parent == pid && $0.state != "Z" }.map(\.pid)
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
