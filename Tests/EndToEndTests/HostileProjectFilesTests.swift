import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Project and user config files are written by anyone (a repository's platform.json, a shared
/// user config): what they hold never leaks credentials, never reaches Terraform as a broken root
/// module, and is refused before anything is written.
final class HostileProjectFilesTests: XCTestCase {
    static let token = "ghp-5f1c0e7d9b3a-deploy-token"

    /// A module of our own that declares `variables` besides what the platform passes.
    func writeModule(_ sandbox: Sandbox, variables: [String]) throws -> String {
        let folder = sandbox.root + "/module"
        var text = """
        variable "name" { type = string }
        variable "environment" { type = string }
        variable "domain" { type = string }
        variable "instance_type" { type = string }
        variable "replicas" { type = number }
        output "endpoint" { value = "https://${var.name}.example.com" }

        """
        for variable in variables { text += "variable \"\(variable)\" { type = string }\n" }
        try sandbox.write(folder + "/main.tf", text)
        return folder
    }

    func testURLCredentialsAreMaskedInConfigShowTextAndJSON() async throws {
        let sandbox = try Sandbox()
        let source = "git::https://deploy:\(Self.token)@git.example.com/infra.git//application?ref=v1"
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"module_source": "\#(source)"}"#)
        for output in ["text", "json"] {
            let run = await runCLI(["config", "show", "shop", "-e", "dev", "-o", output], environment: sandbox.environment(),
                                   directory: sandbox.work)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertFalse((run.stdout + run.stderr).contains(Self.token), "\(output): \(run.stdout)")
            XCTAssertFalse((run.stdout + run.stderr).contains("deploy:"), "\(output): \(run.stdout)")
            XCTAssertTrue(run.stdout.contains("https://***@git.example.com/infra.git"), "\(output): \(run.stdout)")
        }
    }

    func testTerraformDownloadLinesAndErrorsMaskURLCredentials() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        // An unreachable git module source with credentials: terraform prints "Downloading git::https://…" and fails.
        let source = "git::https://deploy:\(Self.token)@127.0.0.1:9/infra.git?ref=v1"
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"module_source": "\#(source)"}"#)
        let run = await runCLI(["create", "shop", "-e", "dev", "-v"], environment: Reliability.environment(sandbox, cluster),
                               directory: sandbox.work)
        XCTAssertNotEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("***@127.0.0.1:9"), run.stderr)
        XCTAssertFalse((run.stdout + run.stderr).contains(Self.token), run.stderr)
    }

    func testBackendCredentialsNeverGoIntoMainTfJson() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let module = try writeModule(sandbox, variables: [])
        let password = "Bk-2f9e7a61-backend-password"
        try sandbox.write(sandbox.home + "/.config/platform/config.json", """
        {"module_source": "\(module)", "backend": {"type": "http", "config": {"address": "http://127.0.0.1:9/state", "username": "ci", "password": "\(password)"}}}
        """)
        let run = await runCLI(["create", "shop", "-e", "dev", "-v"], environment: Reliability.environment(sandbox, cluster),
                               directory: sandbox.work)
        let workspace = Reliability.workspace(sandbox)
        let root = try String(contentsOfFile: workspace + "/main.tf.json", encoding: .utf8)
        XCTAssertFalse(root.contains(password), root)
        XCTAssertTrue(root.contains("\"username\""), "the other settings stay in main.tf.json: \(root)")
        XCTAssertTrue(run.stderr.contains("-backend-config=\(Terraform.backendConfigFile)"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: workspace + "/" + Terraform.backendConfigFile),
                       "the credentials file lives only while terraform init runs")
        XCTAssertFalse((run.stdout + run.stderr).contains(password), run.stderr)
    }

    func testTerraformReservedSetKeysAreRefusedBeforeAnythingIsWritten() async throws {
        let sandbox = try Sandbox()
        let module = try writeModule(sandbox, variables: ["count", "source"])
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"module_source": "\#(module)"}"#)
        for key in ["count", "source", "for_each", "version", "providers", "depends_on", "lifecycle"] {
            let run = await runCLI(["create", "shop", "-e", "dev", "--set", "\(key)=2"],
                                   environment: sandbox.environment(extra: ["KUBECONFIG": sandbox.root + "/none"]),
                                   directory: sandbox.work)
            XCTAssertEqual(run.status, 64, "\(key): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("Terraform reserves it"), "\(key): \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: Reliability.workspace(sandbox)), "\(key): nothing written")
        }
    }

    func testConfigNumbersThatAreNotWholeNumbersSaySo() async throws {
        let sandbox = try Sandbox()
        for value in ["3.5", "1e309", "99999999999999999999", "1.0e2"] {
            try sandbox.write(sandbox.work + "/platform.json", #"{"name": "shop", "replicas": \#(value)}"#)
            let run = await runCLI(["config", "show", "-e", "dev"], environment: sandbox.environment(), directory: sandbox.work)
            if value == "1.0e2" {
                XCTAssertEqual(run.status, 0, run.stderr)  // 100 is a whole number
                continue
            }
            XCTAssertEqual(run.status, 64, "\(value): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("'replicas' must be a whole number between 0 and 1000"), "\(value): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("not valid JSON"), run.stderr)
        }
    }

    func testShortSecretsAreNotMaskedAndOtherFormsAre() {
        let redactor = Redactor(secrets: ["a", "abc", "Pw-7f3a\"9c1e"])
        XCTAssertEqual(redactor.redact("a banana and abc"), "a banana and abc", "shorter than \(Redactor.minimumLength): not masked")
        XCTAssertEqual(redactor.redact(#"{"value": "Pw-7f3a\"9c1e"}"#), #"{"value": "******"}"#, "JSON-escaped form")
        XCTAssertEqual(redactor.redact("data: " + Data("Pw-7f3a\"9c1e".utf8).base64EncodedString()), "data: ******", "base64 form")
        XCTAssertEqual(Redactor.maskingURLCredentials("from https://u:p@h.example/x and ssh://git@h/y, not git@github.com:o/r"),
                       "from https://***@h.example/x and ssh://***@h/y, not git@github.com:o/r")
    }

    func testSetFileAndStdinValuesReachTerraformWithoutArgv() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let module = try writeModule(sandbox, variables: ["db_password", "api_token"])
        try sandbox.write(sandbox.root + "/module/out.tf", """
        resource "terraform_data" "seen" {
          input = "${var.db_password}/${var.api_token}"
        }
        """)
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"module_source": "\#(module)"}"#)
        try sandbox.write(sandbox.work + "/db-password.txt", "Fp-8c2d41e0-from-file\n")
        let environment = Reliability.environment(sandbox, cluster)
        let run = try await runProgram([Repo.binary, "create", "shop", "-e", "dev", "-v", "--set-file", "db_password=db-password.txt",
                                        "--set", "api_token=-"], environment: environment, directory: sandbox.work,
                                       input: Data("Si-4b7a90c3-from-stdin\n".utf8))
        XCTAssertEqual(run.status, 0, run.stderrText)
        let state = try String(contentsOfFile: Reliability.workspace(sandbox) + "/terraform.tfstate", encoding: .utf8)
        XCTAssertTrue(state.contains("Fp-8c2d41e0-from-file/Si-4b7a90c3-from-stdin"), "the values, without their final newline")
        XCTAssertFalse((run.stdoutText + run.stderrText).contains("Fp-8c2d41e0"), run.stderrText)

        let missing = await runCLI(["create", "shop", "-e", "dev", "--set-file", "db_password=nope.txt"],
                                   environment: environment, directory: sandbox.work)
        XCTAssertEqual(missing.status, 64, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("cannot read --set-file db_password='nope.txt'"), missing.stderr)
    }
}
