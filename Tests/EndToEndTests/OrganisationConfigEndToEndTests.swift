import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// The organisation layer end to end: `$XDG_CONFIG_DIRS/platform/config.json` gives every developer the
/// domain and environments; a user config that changes a locked key stops `create` before anything runs.
final class OrganisationConfigEndToEndTests: XCTestCase {
    func testOrganisationDomainReachesTheClusterAndLockedKeysStopCreate() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        try sandbox.write(sandbox.organisationConfig, """
        {
          "domain": "apps.org.example",
          "default_environment": "staging",
          "environments": {"staging": {"domain": "staging.org.example"}},
          "locked": ["domain", "environments"]
        }
        """)
        let user = sandbox.home + "/.config/platform/config.json"
        try sandbox.write(user, "{\n  \"environments\": {\"staging\": {\"domain\": \"mine.example\"}}\n}\n")
        let env = sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates]) { _, b in b })

        let refused = await runCLI(["create", "shop", "--image", "registry.example.com/shop:1.0.0"], environment: env,
                                   directory: sandbox.work)
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("\(user):2: 'environments' is locked by the organisation config \(sandbox.organisationConfig)"),
                      refused.stderr)
        XCTAssertEqual(Sandbox.listing(sandbox.state).filter { $0.hasPrefix("workspaces") }, [], "nothing written")
        XCTAssertEqual(try cluster.objects(kind: "Deployment"), [])

        try sandbox.write(user, #"{"replicas": 2, "domain": "apps.org.example"}"#)  // repeating a locked value is allowed
        let created = await runCLI(["create", "shop", "--image", "registry.example.com/shop:1.0.0", "-o", "json"],
                                   environment: env, directory: sandbox.work)
        XCTAssertEqual(created.status, 0, created.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(created.stdout.utf8))
        XCTAssertEqual(document["url"]?.stringValue, "http://shop.staging.staging.org.example")
        let ingress = try cluster.object(kind: "Ingress", namespace: "staging", name: "shop")
        XCTAssertEqual(ingress?["spec", "rules"]?.arrayValue?.first?["host"]?.stringValue, "shop.staging.staging.org.example")

        let shown = await runCLI(["config", "show", "shop", "-o", "json"], environment: env, directory: sandbox.work)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let settings = try JSONDecoder().decode(JSONValue.self, from: Data(shown.stdout.utf8))
        XCTAssertEqual(settings["settings", "domain", "source"]?.stringValue, "organisation config \(sandbox.organisationConfig)")
        XCTAssertEqual(settings["settings", "environment", "source"]?.stringValue, "organisation config \(sandbox.organisationConfig)")
        XCTAssertEqual(settings["settings", "replicas", "source"]?.stringValue, "user config \(user)")
        XCTAssertEqual(settings["configFiles"]?.arrayValue?.map { $0["path"]?.stringValue ?? "" }, [sandbox.organisationConfig, user])
        XCTAssertEqual(settings["configFiles"]?.arrayValue?.first?["locked"], .array([.string("domain"), .string("environments")]))
    }
}
