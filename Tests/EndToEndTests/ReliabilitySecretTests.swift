import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Values given with `--set` under a secret-looking key (*password*, *token*, *secret*, *key*) never
/// appear in --verbose output, in errors or in events.jsonl.
final class ReliabilitySecretTests: XCTestCase {
    static let secrets = ["db_password": "Pw-7f3a9c1e-hunter2", "api_token": "Tk-51b0d2e8-bearer",
                          "client_secret": "Sc-9a7e4f20-shh", "signing_key": "Ky-3c8d6b14-rsa"]

    /// Every file below `folder` whose name is events.jsonl, concatenated.
    func eventLog(_ folder: String) -> String {
        (Sandbox.listing(folder).filter { $0.hasSuffix("events.jsonl") })
            .compactMap { try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }.joined()
    }

    func assertNoSecret(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for (key, value) in Self.secrets {
            XCTAssertFalse(text.contains(value), "the value of \(key) shows in \(what):\n\(text)", file: file, line: line)
        }
    }

    func testSecretValuesNeverShowInVerboseOutputErrorsOrEvents() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let password = Self.secrets["db_password"]!

        // 1. A successful create with the bundled module (which declares db_password), verbose, and its dry run.
        let env = Reliability.environment(sandbox, cluster)
        for extra in [[], ["--dry-run"], ["-o", "json"]] {
            let result = await runCLI(["create", "shop", "-e", "dev", "--verbose", "--set", "db_password=\(password)"] + extra,
                                      environment: env, directory: sandbox.work)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("+ terraform") || result.stderr.contains("+ kubectl"),
                          "--verbose echoes the commands: \(result.stderr)")
            assertNoSecret(result.stdout, "stdout of create \(extra)")
            assertNoSecret(result.stderr, "stderr of create \(extra)")
        }

        // 2. A module that fails and puts the values into terraform's own error message.
        var variables = ""
        for key in Self.secrets.keys.sorted() { variables += "variable \"\(key)\" { type = string }\n" }
        try sandbox.write(sandbox.root + "/leaky/main.tf", """
        variable "name" { type = string }
        variable "environment" { type = string }
        variable "domain" { type = string }
        variable "instance_type" { type = string }
        variable "replicas" { type = number }
        \(variables)
        resource "terraform_data" "check" {
          input = var.name
          lifecycle {
            precondition {
              condition     = length(var.api_token) < 5
              // nonsensitive(): a module that deliberately prints the values; platform must still mask them.
              error_message = "rejected: ${nonsensitive(var.db_password)} ${nonsensitive(var.api_token)} ${nonsensitive(var.client_secret)} ${nonsensitive(var.signing_key)}"
            }
          }
        }
        output "endpoint" { value = "https://${var.name}.${var.environment}.${var.domain}" }
        """)
        let leaky = Reliability.environment(sandbox, cluster, extra: ["PLATFORM_MODULE_SOURCE": sandbox.root + "/leaky"])
        let sets = Self.secrets.sorted { $0.key < $1.key }.flatMap { ["--set", "\($0.key)=\($0.value)"] }
        for extra in [["--verbose"], ["--verbose", "-o", "json"], ["--dry-run", "--verbose"]] {
            let failed = await runCLI(["create", "api", "-e", "dev"] + sets + extra, environment: leaky, directory: sandbox.work)
            XCTAssertEqual(failed.status, 1, failed.stderr)
            XCTAssertTrue(failed.stderr.contains("rejected: "), "terraform's error is shown: \(failed.stderr)")
            XCTAssertTrue(failed.stderr.contains("******"), "the values are masked: \(failed.stderr)")
            assertNoSecret(failed.stdout, "stdout of the failed create \(extra)")
            assertNoSecret(failed.stderr, "stderr of the failed create \(extra)")
        }

        // 3. Through the built binary too (its own runner and signal set-up), then the event log.
        let binary = try await runProgram([Repo.binary, "create", "api", "-e", "dev", "--verbose"] + sets,
                                          environment: leaky, directory: sandbox.work)
        XCTAssertEqual(binary.status, 1, binary.stderrText)
        assertNoSecret(binary.stdoutText + binary.stderrText, "the built binary's output")

        let events = eventLog(sandbox.state) + eventLog(sandbox.home)
        XCTAssertFalse(events.isEmpty, "the runs were recorded in events.jsonl")
        assertNoSecret(events, "events.jsonl")
    }
}
