import Foundation
import PlatformCLI
import PlatformCore
import PlatformTestSupport
import XCTest

extension AppFixture {
    func configMaps() throws -> [JSONValue] {
        try cluster.objects(kind: "ConfigMap", namespace: environment).filter {
            $0["metadata", "name"]?.stringValue?.hasPrefix("\(name)-vars-") == true
        }
    }

    func secrets() throws -> [JSONValue] {
        try cluster.objects(kind: "Secret", namespace: environment).filter {
            $0["metadata", "name"]?.stringValue?.hasPrefix("\(name)-secrets-") == true
        }
    }

    /// The configuration version the Deployment references.
    func liveConfig() throws -> ConfigReference {
        ConfigReference.live(in: try deployment(), app: name)
    }

    /// The vars the Deployment's ConfigMap holds.
    func liveVars() throws -> [String: String] {
        guard let vars = try liveConfig().vars else { return [:] }
        return try ConfigSet.values(of: try cluster.object(kind: "ConfigMap", namespace: environment, name: vars), secret: false)
    }

    /// Ready Pods running configuration version `config` (and no others once the rollout is done).
    func readyPods(of config: ConfigReference) throws -> [JSONValue] {
        try pods().filter { ConfigReference.live(in: $0, app: name).sameVersion(as: config) && RolloutRules.isReady($0) }
    }
}

final class VarsEndToEndTests: XCTestCase {
    let v1 = "registry.example.com/shop:1.0.0"
    let v2 = "registry.example.com/shop:2.0.0"

    func testSetUnsetListRestartPodsOntoTheNewVersionAndRecordReleases() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try await app.waitForReadyPods(2)

        let set = await app.platform(["vars", "set", "shop", "DATABASE_URL=postgres://db/shop", "LOG_LEVEL=info", "-m", "db"])
        XCTAssertEqual(set.status, 0, set.stderr)
        XCTAssertEqual(set.stdout, "Updated vars of shop in staging: +DATABASE_URL +LOG_LEVEL (release 1)\n")
        let first = try app.liveConfig()
        XCTAssertNotNil(first.vars)
        XCTAssertNil(first.secrets)
        XCTAssertEqual(try app.liveVars(), ["DATABASE_URL": "postgres://db/shop", "LOG_LEVEL": "info"])
        // The ConfigMap is immutable and named after its content; the pods were restarted onto it.
        let configMap = try XCTUnwrap(try app.configMaps().first)
        XCTAssertEqual(configMap["immutable"]?.boolValue, true)
        XCTAssertEqual(configMap["metadata", "name"]?.stringValue,
                       "shop-vars-" + ConfigSet.contentHash(["DATABASE_URL": "postgres://db/shop", "LOG_LEVEL": "info"]))
        try await app.waitUntil("only pods of the new version") {
            try app.readyPods(of: first).count == 2 && app.pods().count == 2
        }
        XCTAssertEqual(try app.deployedImage(), v1)

        let change = await app.platform(["vars", "set", "shop", "LOG_LEVEL=debug", "FEATURE_X=on"])
        XCTAssertEqual(change.status, 0, change.stderr)
        XCTAssertEqual(change.stdout, "Updated vars of shop in staging: +FEATURE_X ~LOG_LEVEL (release 2)\n")
        let unset = await app.platform(["vars", "unset", "shop", "DATABASE_URL"])
        XCTAssertEqual(unset.status, 0, unset.stderr)
        XCTAssertEqual(unset.stdout, "Updated vars of shop in staging: -DATABASE_URL (release 3)\n")
        let third = try app.liveConfig()
        try await app.waitUntil("pods of the third version") { try app.readyPods(of: third).count == 2 && app.pods().count == 2 }

        let list = await app.platform(["vars", "list", "shop"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(list.stdout, "FEATURE_X=on\nLOG_LEVEL=debug\n")
        let json = await app.platform(["vars", "list", "shop", "-o", "json"])
        let listing = try JSONDecoder().decode(ConfigListing.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(listing.vars, ["FEATURE_X": "on", "LOG_LEVEL": "debug"])
        XCTAssertEqual(listing.config.vars, third.vars)

        // Every change is a release: the image and the version, what changed, who, the note.
        let releases = try app.releases()
        XCTAssertEqual(releases.map(\.kind), [.config, .config, .config])
        XCTAssertEqual(releases.map(\.result), [.succeeded, .succeeded, .succeeded])
        XCTAssertEqual(releases.map(\.image), [v1, v1, v1])
        XCTAssertEqual(releases.first?.message, "db")
        XCTAssertEqual(releases.last?.config?.vars, third.vars)
        XCTAssertEqual(releases.last?.config?.varKeys?.keys.sorted(), ["FEATURE_X", "LOG_LEVEL"])
        let history = await app.platform(["releases", "shop"])
        XCTAssertEqual(history.status, 0, history.stderr)
        XCTAssertTrue(history.stdout.contains("vars: +DATABASE_URL +LOG_LEVEL"), history.stdout)
        XCTAssertTrue(history.stdout.contains("vars: +FEATURE_X ~LOG_LEVEL"), history.stdout)
        XCTAssertTrue(history.stdout.contains("vars: -DATABASE_URL"), history.stdout)

        // Setting what is already set is no release.
        let same = await app.platform(["vars", "set", "shop", "LOG_LEVEL=debug"])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(same.stdout, "No change to the vars of shop in staging\n")
        XCTAssertEqual(try app.releases().count, 3)

        // A deploy keeps the configuration (and records it with the new image).
        let deploy = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        XCTAssertTrue(try app.liveConfig().sameVersion(as: third))
        XCTAssertEqual(try app.releases().last?.config?.vars, third.vars)
        XCTAssertEqual(try app.releases().last?.config?.varKeys?.keys.sorted(), ["FEATURE_X", "LOG_LEVEL"])
        // Versions no release refers to any more are gone... none yet: all four are in the history.
        XCTAssertEqual(try app.configMaps().count, 3)
    }

    func testBadKeysAndValuesAreExit64WithNothingChanged() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let before = try app.cluster.requests().count
        for arguments in [["vars", "set", "shop", "lower=x"], ["vars", "set", "shop", "1ST=x"],
                          ["vars", "set", "shop", "NOEQUALS"], ["vars", "unset", "shop", "bad-key"],
                          ["vars", "set", "shop", "BIG=" + String(repeating: "x", count: 40_000)],
                          ["vars", "set", "shop", "A=1", "A=2"], ["vars", "set", "shop"], ["vars", "frob", "shop"],
                          ["vars", "list", "shop", "--stage"]] {
            let run = await app.platform(arguments)
            XCTAssertEqual(run.status, 64, "\(arguments.prefix(4)): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").first?.hasPrefix("error: ") ?? false, true, run.stderr)
            XCTAssertFalse(run.stderr.contains(String(repeating: "x", count: 100)), "the value is not echoed")
        }
        XCTAssertEqual(try app.cluster.requests().count, before, "no request reached the cluster")
        XCTAssertEqual(try app.configMaps().count, 0)
    }

    func testAConfigChangeWhosePodsCrashIsRolledBackToThePreviousVersion() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let first = await app.platform(["vars", "set", "shop", "MODE=ok"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let good = try app.liveConfig()
        // The test server crash-loops a container whose environment sets KUBE_TEST_CRASH=1.
        let bad = await app.platform(["vars", "set", "shop", "KUBE_TEST_CRASH=1", "--timeout", "60s"])
        XCTAssertEqual(bad.status, 3, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("CrashLoopBackOff"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("configuration change"), bad.stderr)
        XCTAssertTrue(try app.liveConfig().sameVersion(as: good), "the previous ConfigMap is referenced again")
        XCTAssertEqual(try app.liveVars(), ["MODE": "ok"])
        try await app.waitUntil("only pods of the good version") { try app.readyPods(of: good).count == 2 && app.pods().count == 2 }
        XCTAssertEqual(try app.releases().map(\.result), [.succeeded, .rolledBack])
        XCTAssertEqual(try app.releases().last?.config?.varKeys?.keys.sorted(), ["KUBE_TEST_CRASH", "MODE"])
    }

    func testRollbackToARevisionRestoresImageAndConfiguration() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let r1 = await app.platform(["vars", "set", "shop", "LEVEL=one"])
        XCTAssertEqual(r1.status, 0, r1.stderr)          // 1
        let one = try app.liveConfig()
        let r2 = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(r2.status, 0, r2.stderr)              // 2
        let r3 = await app.platform(["vars", "set", "shop", "LEVEL=three", "NEW=x"])
        XCTAssertEqual(r3.status, 0, r3.stderr) // 3
        XCTAssertEqual(try app.liveVars(), ["LEVEL": "three", "NEW": "x"])
        let back = await app.platform(["rollback", "shop", "--to", "1"])
        XCTAssertEqual(back.status, 0, back.stderr)
        // Release 1's image (pinned to its digest when the release recorded one), not release 3's.
        let image = try XCTUnwrap(try app.deployedImage())
        XCTAssertTrue(image == v1 || image.hasPrefix("registry.example.com/shop@sha256:"), image)
        XCTAssertNotEqual(image, v2)
        XCTAssertTrue(try app.liveConfig().sameVersion(as: one))
        XCTAssertEqual(try app.liveVars(), ["LEVEL": "one"])
        let last = try XCTUnwrap(try app.releases().last)
        XCTAssertEqual(last.kind, .rollback)
        XCTAssertEqual(last.rollbackOf, 1)
        XCTAssertEqual(last.config?.vars, one.vars)
        try await app.waitUntil("pods of release 1") { try app.readyPods(of: one).count == 2 && app.pods().count == 2 }
        // status shows the configuration version that runs.
        let status = await app.platform(["status", "shop"])
        XCTAssertTrue(status.stdout.contains("Config:    vars \(one.vars!.split(separator: "-").last!) (LEVEL), secrets none"),
                      status.stdout)
    }

    /// `rollback` with no --to after a bad `vars set`: a config-only release is a release, so it goes
    /// back to the previous configuration with the same image (it used to look for another image only).
    func testDefaultRollbackAfterAVarsSetRestoresThePreviousConfiguration() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let r1 = await app.platform(["vars", "set", "shop", "LEVEL=one"])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        let one = try app.liveConfig()
        let r2 = await app.platform(["vars", "set", "shop", "LEVEL=two", "EXTRA=x"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual(try app.liveVars(), ["LEVEL": "two", "EXTRA": "x"])
        let back = await app.platform(["rollback", "shop"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertTrue(back.stderr.contains("Going back to release 1 of shop"), back.stderr)
        XCTAssertTrue(try app.liveConfig().sameVersion(as: one))
        XCTAssertEqual(try app.liveVars(), ["LEVEL": "one"])
        let image = try XCTUnwrap(try app.deployedImage())
        XCTAssertTrue(image == v1 || image.hasPrefix("registry.example.com/shop@sha256:"), image)
        let last = try XCTUnwrap(try app.releases().last)
        XCTAssertEqual(last.kind, .rollback)
        XCTAssertEqual(last.rollbackOf, 1)
        XCTAssertEqual(last.result, .succeeded)
        try await app.waitUntil("pods of release 1's configuration") { try app.readyPods(of: one).count == 2 && app.pods().count == 2 }
    }

    func testStagedChangesShipWithTheNextDeployInOneRelease() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let staged = await app.platform(["vars", "set", "shop", "FLAG=on", "--stage", "-m", "flag"])
        XCTAssertEqual(staged.status, 0, staged.stderr)
        XCTAssertEqual(staged.stdout, "Staged vars of shop in staging: +FLAG\n")
        XCTAssertTrue(try app.liveConfig().isEmpty, "not rolled out")
        XCTAssertEqual(try app.releases().count, 0)
        let more = await app.platform(["vars", "set", "shop", "OTHER=1", "--stage"])
        XCTAssertEqual(more.stdout, "Staged vars of shop in staging: +OTHER\n")
        let list = await app.platform(["vars", "list", "shop"])
        XCTAssertTrue(list.stderr.contains("Staged, not rolled out yet: +FLAG +OTHER"), list.stderr)

        let deploy = await app.platform(["deploy", "shop", "--image", v2, "-m", "release"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        XCTAssertEqual(try app.deployedImage(), v2)
        XCTAssertEqual(try app.liveVars(), ["FLAG": "on", "OTHER": "1"])
        let releases = try app.releases()
        XCTAssertEqual(releases.count, 1, "image and configuration in one release")
        XCTAssertEqual(releases.first?.image, v2)
        XCTAssertEqual(releases.first?.message, "release; flag")
        XCTAssertEqual(releases.first?.config?.varKeys?.keys.sorted(), ["FLAG", "OTHER"])
        let apply = await app.platform(["vars", "apply", "shop"])
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertTrue(apply.stderr.contains("Nothing staged"), apply.stderr)

        // vars apply rolls out a staged change alone.
        let r4 = await app.platform(["vars", "unset", "shop", "OTHER", "--stage"])
        XCTAssertEqual(r4.status, 0, r4.stderr)
        let applied = await app.platform(["vars", "apply", "shop"])
        XCTAssertEqual(applied.status, 0, applied.stderr)
        XCTAssertEqual(applied.stdout, "Updated vars of shop in staging: -OTHER (release 2)\n")
        XCTAssertEqual(try app.liveVars(), ["FLAG": "on"])
    }

    func testTwoConcurrentChangesLoseNothing() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        async let first = app.platform(["vars", "set", "shop", "FIRST=1"])
        async let second = app.platform(["vars", "set", "shop", "SECOND=2"])
        let (a, b) = await (first, second)
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertEqual(try app.liveVars(), ["FIRST": "1", "SECOND": "2"])
        XCTAssertEqual(try app.releases().map(\.result), [.succeeded, .succeeded])
        XCTAssertEqual(try app.releases().last?.config?.varKeys?.keys.sorted(), ["FIRST", "SECOND"])
        let state = try app.cluster.object(kind: "ConfigMap", namespace: "staging", name: "platform-config-shop")
        XCTAssertNil(state?["data", "lease"], "the lease is given back")
    }

    /// A `vars set` that comes while a deploy is between reading the Deployment and applying its
    /// patch (held there by a kubectl wrapper in front of the deploy's `apply --force-conflicts`) is
    /// not reverted by the deploy's envFrom, and does not revert the deploy's image: it waits for the
    /// configuration lease the deploy holds until its patch is applied, then builds on it.
    /// `deploy shop --image v2` through a kubectl in front of the real one: the shell `case` arms in
    /// `cases` may call HOLD, which marks GATE.reached and waits until the test creates GATE.go.
    /// Returns once the deploy is held there.
    func heldDeploy(_ app: AppFixture, until what: String, cases: String) async throws -> (Task<CLIRun, Never>, String) {
        let gate = app.sandbox.root + "/gate"
        let folder = app.sandbox.root + "/wrapper"
        try app.sandbox.write(folder + "/kubectl", """
        #!/bin/sh
        GATE='\(gate)'
        HOLD() { : > "$GATE.reached"; while [ ! -e "$GATE.go" ]; do sleep 0.05; done; }
        case " $* " in
        \(cases)
        esac
        exec '\(Repo.tools)/kubectl' "$@"
        """)
        chmod(folder + "/kubectl", 0o755)
        var held = app.environmentVariables
        held["PATH"] = folder + ":" + (held["PATH"] ?? "")
        let deploy = Task { [v2] in
            await runCLI(["deploy", "shop", "--image", v2, "-e", "staging"], environment: held, directory: app.sandbox.work)
        }
        try await app.waitUntil(what) { FileManager.default.fileExists(atPath: gate + ".reached") }
        return (deploy, gate)
    }

    func testAVarsSetWhileADeployIsAboutToPatchIsNotRevertedByIt() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let first = await app.platform(["vars", "set", "shop", "FIRST=1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let (deploy, gate) = try await heldDeploy(app, until: "the deploy is about to apply its patch", cases: """
        *" --force-conflicts "*) HOLD ;;
        """)
        // The vars set runs while the deploy's patch is held: it either waits for the deploy's lease,
        // or (with no lease to wait for) rolls out on the Deployment the deploy read and is done.
        let io = TestIO()
        let finished = Finished()
        let change = Task { () -> Int32 in
            let status = await PlatformCLI.run(arguments: ["vars", "set", "shop", "SECOND=2", "-e", "staging"],
                                               io: io.streams, environment: app.environmentVariables,
                                               currentDirectory: app.sandbox.work, runner: nil)
            finished.set()
            return status
        }
        for _ in 0..<1200 where !finished.value && !io.stderr.text.contains("Waiting for the deploy") {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTAssertTrue(io.stderr.text.contains("Waiting for the deploy of shop by tester"),
                      "the vars set waits for the deploy's lease: \(io.stderr.text)")
        _ = FileManager.default.createFile(atPath: gate + ".go", contents: Data())
        let deployed = await deploy.value
        let status = await change.value
        XCTAssertEqual(status, 0, io.stderr.text)
        // Nothing is lost: the deploy's image and both keys.
        XCTAssertEqual(try app.deployedImage(), v2, deployed.stderr)
        XCTAssertEqual(try app.liveVars(), ["FIRST": "1", "SECOND": "2"], deployed.stderr + io.stderr.text)
        let releases = try app.releases()
        XCTAssertEqual(releases.map(\.kind), [.config, .deploy, .config])
        XCTAssertEqual(releases.last?.image, v2)
        XCTAssertEqual(releases.last?.result, .succeeded)
        // The deploy's own release ran v2 with FIRST only; the change on top of it either came after its
        // rollout was confirmed, or replaced its configuration while it waited (superseded, exit 1).
        if deployed.status == 0 {
            XCTAssertEqual(releases[1].result, .succeeded)
        } else {
            XCTAssertEqual(deployed.status, 1, deployed.stderr)
            XCTAssertEqual(releases[1].result, .superseded, deployed.stderr)
        }
        XCTAssertEqual(releases[1].config?.varKeys?.keys.sorted(), ["FIRST"])
        let state = try app.cluster.object(kind: "ConfigMap", namespace: "staging", name: "platform-config-shop")
        XCTAssertNil(state?["data", "lease"], "the lease is given back")
    }

    /// `--dry-run` of vars and secrets prints the plan the real run executes and changes nothing: no
    /// write reaches the server and no object's resourceVersion moves. Secrets show by key and
    /// fingerprint only.
    func testDryRunPrintsThePlanAndChangesNothing() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let first = "Sk-11aa-first-dry-run-secret", second = "Sk-22bb-second-dry-run-secret"
        let vars = await app.platform(["vars", "set", "shop", "KEEP=1", "OLD=x"])
        XCTAssertEqual(vars.status, 0, vars.stderr)
        try app.sandbox.write("work/key.txt", first)
        let secret = await app.platform(["secrets", "set", "shop", "API_KEY=@key.txt"])
        XCTAssertEqual(secret.status, 0, secret.stderr)
        let live = try app.liveConfig()
        let liveSecrets = try XCTUnwrap(live.secrets)
        try await app.waitUntil("only pods of the version") { try app.readyPods(of: live).count == 2 && app.pods().count == 2 }
        func versions() throws -> [String: String] {
            var versions: [String: String] = [:]
            for kind in ["ConfigMap", "Secret", "Deployment"] {
                for object in try app.cluster.objects(kind: kind, namespace: "staging") {
                    versions[kind + "/" + (object["metadata", "name"]?.stringValue ?? "")] =
                        object["metadata", "resourceVersion"]?.stringValue ?? "?"
                }
            }
            return versions
        }
        let before = try versions()
        let seen = try app.cluster.requests().count
        try app.sandbox.write("work/new.txt", second)
        var outputs = ""

        // vars set: the new ConfigMap by its content hash, the key diff, the patch, the rollout.
        let hash = ConfigSet.contentHash(["KEEP": "2", "NEW": "1", "OLD": "x"])
        let text = await app.platform(["vars", "set", "shop", "NEW=1", "KEEP=2", "--dry-run"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("Would create ConfigMap shop-vars-\(hash) (immutable): +NEW ~KEEP\n"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Would apply (field manager platform-deploy):"), text.stdout)
        XCTAssertTrue(text.stdout.hasSuffix("Then wait up to 5m for the rollout, rolling back on failure (a release of vars \(hash), secrets \(liveSecrets.split(separator: "-").last!))\n"), text.stdout)
        let json = await app.platform(["vars", "set", "shop", "NEW=1", "KEEP=2", "--dry-run", "-o", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let plan = try JSONDecoder().decode(ConfigPlan.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(plan.action, .rollOut)
        XCTAssertEqual(plan.creates, ["configmap/shop-vars-\(hash)"])
        XCTAssertEqual(plan.diff.summary, "+NEW ~KEEP")
        XCTAssertEqual(plan.base.vars, live.vars)
        XCTAssertEqual(plan.config.vars, "shop-vars-\(hash)")
        XCTAssertEqual(plan.config.secrets, liveSecrets, "the secrets stay as they are")
        XCTAssertEqual(try ConfigSet.values(of: try XCTUnwrap(plan.configMap), secret: false), ["KEEP": "2", "NEW": "1", "OLD": "x"])
        let container = plan.patch?["spec", "template", "spec", "containers"]?.arrayValue?.first
        XCTAssertEqual(container?["image"]?.stringValue, v1, "the running image")
        XCTAssertEqual(container?["envFrom"], .array(plan.config.envFrom))
        XCTAssertEqual(plan.config.envFrom.count, 2)

        let unset = await app.platform(["vars", "unset", "shop", "OLD", "--dry-run"])
        XCTAssertTrue(unset.stdout.hasPrefix("Would create ConfigMap shop-vars-\(ConfigSet.contentHash(["KEEP": "1"])) (immutable): -OLD\n"),
                      unset.stdout)
        let staged = await app.platform(["vars", "set", "shop", "NEW=1", "--stage", "--dry-run", "-o", "json"])
        let stagePlan = try JSONDecoder().decode(ConfigPlan.self, from: Data(staged.stdout.utf8))
        XCTAssertEqual(stagePlan.action, .stage)
        XCTAssertNil(stagePlan.patch, "staged: no patch")
        let stagedText = await app.platform(["vars", "set", "shop", "NEW=1", "--stage", "--dry-run"])
        XCTAssertTrue(stagedText.stdout.contains("Would stage it (vars "), stagedText.stdout)
        let same = await app.platform(["vars", "set", "shop", "KEEP=1", "--dry-run"])
        XCTAssertEqual(same.stdout, "No change to the vars of shop in staging: nothing would be done\n")
        let apply = await app.platform(["vars", "apply", "shop", "--dry-run"])
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertEqual(apply.stdout, "Nothing staged for shop in staging: nothing would be done\n")

        // secrets set: the new Secret's name, the keys and fingerprints, never a value.
        let secretHash = ConfigSet.contentHash(["API_KEY": second])
        let fingerprint = ConfigSet.fingerprint(app: "shop", key: "API_KEY", value: second)
        let dry = await app.platform(["secrets", "set", "shop", "API_KEY=@new.txt", "--dry-run", "-v"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.hasPrefix("Would create Secret shop-secrets-\(secretHash) (immutable): ~API_KEY\n  API_KEY  fingerprint \(fingerprint)\nWould apply"),
                      dry.stdout)
        let secretJSON = await app.platform(["secrets", "set", "shop", "API_KEY=@new.txt", "--dry-run", "-o", "json"])
        let secretPlan = try JSONDecoder().decode(ConfigPlan.self, from: Data(secretJSON.stdout.utf8))
        XCTAssertEqual(secretPlan.creates, ["secret/shop-secrets-\(secretHash)"])
        XCTAssertEqual(secretPlan.config.secretKeys, ["API_KEY": fingerprint])
        XCTAssertNil(secretPlan.configMap)
        let secretUnset = await app.platform(["secrets", "unset", "shop", "API_KEY", "--dry-run", "-o", "json"])
        let unsetPlan = try JSONDecoder().decode(ConfigPlan.self, from: Data(secretUnset.stdout.utf8))
        XCTAssertEqual(unsetPlan.diff.summary, "-API_KEY")
        XCTAssertNil(unsetPlan.config.secrets)
        XCTAssertEqual(unsetPlan.patch?["spec", "template", "spec", "containers"]?.arrayValue?.first?["envFrom"]?.arrayValue?.count, 1)
        let list = await app.platform(["vars", "list", "shop", "--dry-run"])
        XCTAssertEqual(list.status, 64, list.stderr)
        for run in [text, json, unset, staged, stagedText, same, apply, dry, secretJSON, secretUnset] {
            outputs += run.stdout + run.stderr
        }
        for value in [first, second, Data(first.utf8).base64EncodedString(), Data(second.utf8).base64EncodedString()] {
            XCTAssertFalse(outputs.contains(value), "a secret value in the output of a dry run")
        }

        // Nothing changed: only reads reached the server, no resourceVersion moved, no release.
        let methods = Set(try app.cluster.requests().dropFirst(seen).compactMap { $0["method"]?.stringValue })
        XCTAssertEqual(methods, ["GET"])
        XCTAssertEqual(try versions(), before)
        XCTAssertEqual(try app.releases().count, 2)
    }

    /// `deploy` ships the staged version; a `vars set` that rolls the staged version out (with a key
    /// on top) after the deploy read it but before the deploy had the lease is not reverted: under the
    /// lease the deploy reads the staged state again and keeps what runs.
    func testADeployDoesNotShipAStagedVersionAChangeRolledOutMeanwhile() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let staged = await app.platform(["vars", "set", "shop", "FLAG=on", "--stage"])
        XCTAssertEqual(staged.status, 0, staged.stderr)
        // A kubectl in front of the deploy's: the second read of platform-config-shop (the lease, after
        // the command read what is staged) waits until the test says go.
        let (deploy, gate) = try await heldDeploy(app, until: "the deploy read the staged version and goes for the lease", cases: """
        *" get configmap platform-config-shop "*)
          if [ -e "$GATE.first" ]; then HOLD; else : > "$GATE.first"; fi ;;
        """)
        let change = await app.platform(["vars", "set", "shop", "SECOND=2"])
        XCTAssertEqual(change.status, 0, change.stderr)
        XCTAssertEqual(try app.liveVars(), ["FLAG": "on", "SECOND": "2"], "the staged version and SECOND roll out")
        _ = FileManager.default.createFile(atPath: gate + ".go", contents: Data())
        let deployed = await deploy.value
        XCTAssertEqual(deployed.status, 0, deployed.stderr)
        XCTAssertTrue(deployed.stderr.contains("the staged configuration changed meanwhile"), deployed.stderr)
        XCTAssertEqual(try app.deployedImage(), v2)
        XCTAssertEqual(try app.liveVars(), ["FLAG": "on", "SECOND": "2"], "SECOND was not reverted: \(deployed.stderr)")
        XCTAssertEqual(try app.releases().map(\.kind), [.config, .deploy])
        XCTAssertEqual(try app.releases().last?.config?.varKeys?.keys.sorted(), ["FLAG", "SECOND"])
    }

    /// With something staged, a dry-run change builds on the staged version and a dry-run `apply`
    /// shows the staged version it would roll out; neither writes anything.
    func testDryRunBuildsOnTheStagedVersionAndApplyShowsIt() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let staged = await app.platform(["vars", "set", "shop", "FLAG=on", "--stage"])
        XCTAssertEqual(staged.status, 0, staged.stderr)
        let seen = try app.cluster.requests().count
        let hash = ConfigSet.contentHash(["FLAG": "on"])
        let apply = await app.platform(["vars", "apply", "shop", "--dry-run"])
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertTrue(apply.stdout.hasPrefix("Would roll out the staged vars: +FLAG\nWould apply (field manager platform-deploy):\n"),
                      apply.stdout)
        XCTAssertTrue(apply.stdout.contains("shop-vars-\(hash)"), apply.stdout)
        let json = await app.platform(["vars", "apply", "shop", "--dry-run", "-o", "json"])
        let plan = try JSONDecoder().decode(ConfigPlan.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(plan.action, .rollOut)
        XCTAssertEqual(plan.config.vars, "shop-vars-\(hash)")
        XCTAssertEqual(plan.creates, [], "the staged version exists")
        let more = await app.platform(["vars", "set", "shop", "OTHER=1", "--dry-run", "-o", "json"])
        let onStaged = try JSONDecoder().decode(ConfigPlan.self, from: Data(more.stdout.utf8))
        XCTAssertEqual(onStaged.base.vars, "shop-vars-\(hash)", "built on the staged version")
        XCTAssertEqual(onStaged.diff.summary, "+OTHER")
        XCTAssertEqual(onStaged.config.vars, "shop-vars-" + ConfigSet.contentHash(["FLAG": "on", "OTHER": "1"]))
        XCTAssertEqual(Set(try app.cluster.requests().dropFirst(seen).compactMap { $0["method"]?.stringValue }), ["GET"])
        XCTAssertTrue(try app.liveConfig().isEmpty, "nothing rolled out")
        XCTAssertEqual(try app.releases().count, 0)
    }

    func testCreateRerunKeepsEnvFromAndDestroyDeletesTheVersions() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let r5 = await app.platform(["vars", "set", "shop", "KEEP=me"])
        XCTAssertEqual(r5.status, 0, r5.stderr)
        let config = try app.liveConfig()
        // create's field manager re-applies the whole Deployment without envFrom: it stays.
        let live = try XCTUnwrap(try app.deployment())
        let labels = live["metadata", "labels"] ?? .object([:])
        let document: JSONValue = .object([
            "apiVersion": .string("apps/v1"), "kind": .string("Deployment"),
            "metadata": .object(["name": .string("shop"), "namespace": .string("staging"), "labels": labels]),
            "spec": .object([
                "replicas": .number(2),
                "selector": live["spec", "selector"] ?? .null,
                "template": .object(["metadata": .object(["labels": live["spec", "template", "metadata", "labels"] ?? .null]),
                                     "spec": .object(["containers": .array([.object([
                                        "name": .string("shop"), "image": .string(v1)])])])]),
            ]),
        ])
        let documents = [document]
        _ = try await Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget())
            .apply(documents, fieldManager: AppConventions.fieldManager("shop"))
        XCTAssertTrue(try app.liveConfig().sameVersion(as: config))
        let destroy = await app.platform(["destroy", "shop", "--yes"])
        XCTAssertEqual(destroy.status, 0, destroy.stderr)
        XCTAssertEqual(try app.configMaps().count, 0)
        XCTAssertNil(try app.cluster.object(kind: "ConfigMap", namespace: "staging", name: "platform-config-shop"))
    }
}

/// A flag one task sets and another reads.
final class Finished: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func set() { lock.withLock { done = true } }
    var value: Bool { lock.withLock { done } }
}
