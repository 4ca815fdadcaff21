import Foundation
import PlatformCLI
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform create`, then `platform destroy`, with the real terraform and kubectl.
final class DestroyEndToEndTests: XCTestCase {
    /// `create` (with a secret `--set`) then `deploy` of shop in dev.
    func created() async throws -> CreatedApp {
        let setup = try await CreatedApp(createArguments: ["--set", "db_password=hunter2xyz"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: setup.workspace + "/terraform.tfstate"))
        XCTAssertTrue(try setup.appObjects().contains("ConfigMap/platform-releases-shop"))
        return setup
    }

    func testDestroyRemovesObjectsStateAndWorkspaceAndASecondDestroyExits0() async throws {
        let setup = try await created()
        defer { setup.cluster.stop(); setup.cluster.removeFiles() }
        let run = await setup.platform(["destroy", "shop", "-e", "dev", "--yes", "-o", "json", "-v"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let result = try JSONDecoder().decode(DestroyResult.self, from: Data(run.stdout.utf8))
        XCTAssertTrue(result.existed)
        XCTAssertTrue(result.terraformDestroyed)
        XCTAssertEqual(result.workspaceRemoved, setup.workspace)
        // The deploy's configuration lease left platform-config-shop behind; destroy takes it too.
        XCTAssertEqual(result.deleted.sorted(), ["configmap/platform-config-shop", "configmap/platform-releases-shop",
                                                 "deployment.apps/shop", "ingress.networking.k8s.io/shop",
                                                 "networkpolicy.networking.k8s.io/shop", "networkpolicy.networking.k8s.io/shop-tasks",
                                                 "service/shop", "serviceaccount/shop",
                                                 "servicemonitor.monitoring.coreos.com/shop"])
        XCTAssertTrue(run.stderr.contains("Destroy complete!"), "Terraform's own output with -v: \(run.stderr)")
        XCTAssertFalse(run.stderr.contains("hunter2xyz"))
        XCTAssertEqual(try setup.appObjects(), [])
        XCTAssertNotNil(try setup.cluster.object(kind: "Namespace", namespace: nil, name: "dev"), "the namespace is shared")
        XCTAssertFalse(FileManager.default.fileExists(atPath: setup.workspace))

        let again = await setup.platform(["destroy", "shop", "-e", "dev", "--yes"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, "Nothing to destroy: shop does not exist in dev\n")
    }

    func testWithoutATerminalDestroyNeedsYes() async throws {
        let setup = try await created()
        defer { setup.cluster.stop(); setup.cluster.removeFiles() }
        _ = try await setup.cluster.settledResourceVersion()  // the rollout of create and deploy is over
        let before = try setup.appObjects()
        let run = await setup.platform(["destroy", "shop", "-e", "dev"])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("--yes"), run.stderr)
        XCTAssertEqual(try setup.appObjects(), before)
        XCTAssertTrue(FileManager.default.fileExists(atPath: setup.workspace))
    }

    func testOnATerminalDestroyAsksForTheName() async throws {
        let setup = try await created()
        defer { setup.cluster.stop(); setup.cluster.removeFiles() }
        _ = try await setup.cluster.settledResourceVersion()  // the rollout of create and deploy is over
        let before = try setup.appObjects()
        let refused = TestIO(tty: true, answers: ["no"])
        let status = await PlatformCLI.run(arguments: ["destroy", "shop", "-e", "dev"], io: refused.streams,
                                           environment: setup.environment, currentDirectory: setup.sandbox.work)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(refused.stderr.text.contains("Type the app name (shop) to confirm"), refused.stderr.text)
        XCTAssertEqual(try setup.appObjects(), before)

        let confirmed = TestIO(tty: true, answers: ["shop"])
        let yes = await PlatformCLI.run(arguments: ["destroy", "shop", "-e", "dev"], io: confirmed.streams,
                                        environment: setup.environment, currentDirectory: setup.sandbox.work)
        XCTAssertEqual(yes, 0, confirmed.stderr.text)
        XCTAssertEqual(try setup.appObjects(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: setup.workspace))
    }
}
