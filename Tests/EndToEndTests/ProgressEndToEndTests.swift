import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Progress as docs/progress.md describes it: `--progress=json` events parsed line by line, the plain
/// lines without a terminal. The live line on a real terminal: TerminalProgressEndToEndTests (tmux).
final class ProgressEndToEndTests: XCTestCase {
    func environment(_ sandbox: Sandbox, _ cluster: TestCluster) -> [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates, "USER": "tester"]) { _, b in b })
    }

    func events(_ stderr: String) throws -> [JSONValue] {
        try stderr.split(separator: "\n").map { line in
            do { return try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)) } catch {
                XCTFail("not a JSON event: \(line)")
                throw error
            }
        }
    }

    func testJSONEventsForCreateAndDeploy() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster)
        let create = try await runProgram([Repo.binary, "create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0",
                                           "--progress=json"], environment: env, directory: sandbox.work)
        XCTAssertEqual(create.status, 0, create.stderrText)
        XCTAssertEqual(create.stdoutText, "http://shop.dev.example.com\n")
        let all = try events(create.stderrText)
        for event in all {
            XCTAssertNotNil(event["event"]?.stringValue)
            XCTAssertNotNil(event["time"]?.stringValue.flatMap { ISO8601DateFormatter.fractional.date(from: $0) }, "\(event)")
        }
        let phases = all.filter { ($0["event"]?.stringValue ?? "").hasPrefix("phase_") }
            .map { "\($0["event"]?.stringValue ?? "") \($0["phase"]?.stringValue ?? "")" }
        XCTAssertEqual(phases, ["phase_started terraform_init", "phase_finished terraform_init",
                                "phase_started terraform_apply", "phase_finished terraform_apply",
                                "phase_started kubernetes_apply", "phase_finished kubernetes_apply"])
        let apply = all.first { $0["event"] == .string("phase_finished") && $0["phase"] == .string("terraform_apply") }
        XCTAssertEqual(apply?["ok"], .bool(true))
        let added = apply?["counts", "added"]?.intValue ?? -1
        XCTAssertGreaterThan(added, 0)
        XCTAssertEqual(apply?["counts"], .object(["added": .number(Double(added)), "changed": .number(0), "destroyed": .number(0)]))
        XCTAssertEqual(apply?["summary"]?.stringValue, "\(added) added, 0 changed")
        XCTAssertEqual(apply?["title"]?.stringValue, "Terraform apply")
        if case .number(let seconds)? = apply?["seconds"] { XCTAssertGreaterThanOrEqual(seconds, 0) } else { XCTFail("seconds") }
        XCTAssertFalse(create.stderrText.contains("Initializing the backend"), "tool output only with -v")
        XCTAssertTrue(all.contains { $0["event"] == .string("message") && $0["level"] == .string("success") })

        let deploy = try await runProgram([Repo.binary, "deploy", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.1.0",
                                           "--progress=json"], environment: env, directory: sandbox.work)
        XCTAssertEqual(deploy.status, 0, deploy.stderrText)
        let rollout = try events(deploy.stderrText).filter { $0["phase"] == .string("rollout") }
        XCTAssertEqual(rollout.first?["event"], .string("phase_started"))
        XCTAssertEqual(rollout.last?["event"], .string("phase_finished"))
        XCTAssertEqual(rollout.last?["counts", "ready"], .number(1))
        XCTAssertEqual(rollout.last?["counts", "desired"], .number(1))
        XCTAssertTrue(rollout.contains { $0["event"] == .string("phase_updated") && $0["counts", "desired"] == .number(1) })

        let bad = try await runProgram([Repo.binary, "status", "shop", "--progress=fancy"], environment: env, directory: sandbox.work)
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderrText.contains("invalid --progress 'fancy': use auto, plain, tty or json"), bad.stderrText)
    }

    func testPlainLinesWithoutATerminal() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let create = try await runProgram([Repo.binary, "create", "shop", "-e", "dev"], environment: environment(sandbox, cluster),
                                          directory: sandbox.work)
        XCTAssertEqual(create.status, 0, create.stderrText)
        let lines = create.stderrText.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("✓ Terraform apply") }.count, 1, create.stderrText)
        XCTAssertNotNil(lines.first { $0.range(of: #"^✓ Terraform apply \([0-9]+ added, 0 changed\) [0-9]+\.[0-9]s$"#, options: .regularExpression) != nil },
                        create.stderrText)
        XCTAssertTrue(lines.contains { $0.hasPrefix("✓ Terraform init ") }, create.stderrText)
        XCTAssertTrue(lines.contains { $0.range(of: #"^✓ Kubernetes apply \([0-9]+ objects in namespace dev\) [0-9]+\.[0-9]s$"#, options: .regularExpression) != nil }, create.stderrText)
        XCTAssertFalse(create.stderrText.contains("Initializing"), "no Terraform chatter without -v: \(create.stderrText)")
        XCTAssertFalse(create.stderrText.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no control characters")
    }
}

extension ISO8601DateFormatter {
    static var fractional: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
