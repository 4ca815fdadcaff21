import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform upgrade` with the real git: a template repository built here (tags v1, v2, v3, used as
/// git+file://) and a bundled-style templates folder whose template.json version changes.
final class UpgradeEndToEndTests: XCTestCase {
    // MARK: - The template, version by version

    /// 20 numbered lines; v2 changes lines 2 (the conflict line) and 10, v3 line 6 too.
    static func app(_ version: Int) -> String {
        (1...20).map { line -> String in
            if line == 2 && version >= 2 { return "line 2 from template v2" }
            if line == 10 && version >= 2 { return "line 10 from template v2" }
            if line == 6 && version >= 3 { return "line 6 from template v3" }
            if line == 1 { return "app {{name}}" }
            return "line \(line)"
        }.joined(separator: "\n") + "\n"
    }

    static let migrationCommand = ["python3", "-c",
                                   "import os; open('migrations.log', 'a').write(os.environ['PLATFORM_MIGRATION_VERSION'] + '\\n')"]

    static func manifest(_ version: Int, bundled: Bool) -> String {
        var variables: [String: Any] = ["port": ["default": "8080", "pattern": "^[0-9]+$"]]
        if version == 1 {
            variables["greeting"] = ["default": "hello"]
        } else {
            variables["salutation"] = ["default": "hi", "renamedFrom": "greeting"]
            variables["region"] = ["default": "eu-{{name}}"]
        }
        var document: [String: Any] = ["description": "upgrade test template", "variables": variables]
        if bundled { document["version"] = "\(version).0.0" }
        // Every version declares migrations for 1.0.0 up to its own version, and one for 4.0.0 that is never crossed.
        document["migrations"] = (Array(1...version) + [4]).map { ["version": "\($0).0.0", "command": migrationCommand] }
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes version `version` of the template into `folder` (replacing what an older one had).
    static func writeTemplate(_ version: Int, into folder: String, bundled: Bool) throws {
        let files = FileManager.default
        if files.fileExists(atPath: folder) {
            for entry in try files.contentsOfDirectory(atPath: folder) where entry != ".git" {
                try files.removeItem(atPath: folder + "/" + entry)
            }
        }
        var content: [String: String] = [
            "template.json": manifest(version, bundled: bundled),
            "app.txt": app(version),
            "notes.txt": "notes the template never changes\n",
            "docs.txt": version == 1 ? "docs v1\n" : "docs v2 for {{name}}\n",
            "CHANGELOG.md": "# Changelog\n\n## v3\n\n- line 6 reworded\n\n## v2\n\n- added.txt, greeting renamed to salutation\n\n## v1\n\n- first\n",
        ]
        content["config.txt"] = version == 1 ? "port={{port}}\ngreeting={{greeting}}\n"
            : "port={{port}}\nsalutation={{salutation}}\nregion={{region}}\n"
        if version == 1 { content["obsolete.txt"] = "removed in v2\n" }
        if version >= 2 { content["added.txt"] = "added in v2 for {{name}}\n" }
        if version >= 3 { content["sub/{{name}}.txt"] = "v3 file\n" }
        for (path, text) in content {
            let full = folder + "/" + path
            try files.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
    }

    struct Fixture {
        let sandbox: Sandbox
        var env: [String: String] { sandbox.environment() }
        var repository: String { sandbox.root + "/template-repo" }
        var templates: String { sandbox.root + "/templates" }
        func source(_ tag: String) -> String { "git+file://\(repository)//svc@\(tag)" }
    }

    /// The template repository with tags v1, v2, v3 and the bundled-style folder at version 1.0.0.
    func makeFixture() async throws -> Fixture {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.home + "/.gitconfig", "[user]\n\tname = Ada\n\temail = ada@example.com\n")
        let fixture = Fixture(sandbox: sandbox)
        try FileManager.default.createDirectory(atPath: fixture.repository, withIntermediateDirectories: true)
        try await git(["init", "--quiet"], fixture.repository, fixture)
        for version in 1...3 {
            try Self.writeTemplate(version, into: fixture.repository + "/svc", bundled: false)
            try await git(["add", "--all"], fixture.repository, fixture)
            try await git(["commit", "--quiet", "-m", "template v\(version)"], fixture.repository, fixture)
            try await git(["tag", "v\(version)"], fixture.repository, fixture)
        }
        try Self.writeTemplate(1, into: fixture.templates + "/test/svc", bundled: true)
        return fixture
    }

    @discardableResult
    func git(_ arguments: [String], _ directory: String, _ fixture: Fixture) async throws -> String {
        let result = try await runProgram(["git"] + arguments, environment: fixture.env, directory: directory)
        XCTAssertEqual(result.status, 0, "git \(arguments): \(result.stderrText)")
        return result.stdoutText
    }

    func platform(_ arguments: [String], in directory: String, _ fixture: Fixture) async -> CLIRun {
        await runCLI(arguments, environment: fixture.env, directory: directory)
    }

    /// Scaffolds `name` from the git template at `tag` (or the bundled-style folder) into the work folder.
    func scaffold(_ name: String, _ tag: String, _ fixture: Fixture, bundled: Bool = false, set: [String] = []) async throws -> String {
        let template = bundled ? ["-t", "test/svc", "--templates-dir", fixture.templates] : ["-t", fixture.source(tag)]
        let result = await platform(["scaffold", name] + template + set.flatMap { ["--set", $0] }, in: fixture.sandbox.work, fixture)
        XCTAssertEqual(result.status, 0, result.stderr)
        return fixture.sandbox.work + "/" + name
    }

    func commitAll(_ project: String, _ message: String, _ fixture: Fixture) async throws {
        try await git(["add", "--all"], project, fixture)
        try await git(["commit", "--quiet", "-m", message], project, fixture)
    }

    func read(_ path: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
    }

    func record(_ project: String) throws -> TemplateRecord {
        try JSONDecoder().decode(TemplateRecord.self, from: Data(contentsOf: URL(fileURLWithPath: project + "/" + TemplateRecord.path)))
    }

    /// Every file below `folder` (the .git folder included) with its bytes: "nothing changed" checks.
    func snapshot(_ folder: String, skipGit: Bool = false, skipRecord: Bool = false) -> [String: Data] {
        var result: [String: Data] = [:]
        for path in Sandbox.listing(folder) {
            if skipGit && (path == ".git" || path.hasPrefix(".git/")) { continue }
            if skipRecord && path == TemplateRecord.path { continue }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory)
            result[path] = isDirectory.boolValue ? Data("<folder>".utf8) : (FileManager.default.contents(atPath: folder + "/" + path) ?? Data())
        }
        return result
    }

    // MARK: - Done when

    func testUntouchedGitProjectUpgradedToV2EqualsAFreshV2Scaffold() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture)
        XCTAssertEqual(try record(project).version, "v1")
        let scaffoldCommit = try await git(["rev-parse", "HEAD"], project, fixture)
        let pristineBefore = try await git(["rev-parse", UpgradeService.pristineRef], project, fixture)
        XCTAssertEqual(pristineBefore, scaffoldCommit, "scaffold's commit is the pristine render")
        let upgrade = await platform(["upgrade", "--to", "v2"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        XCTAssertTrue(upgrade.stdout.contains("Upgraded svc v1 → v2"), upgrade.stdout)

        // A fresh v2 scaffold with the same answers (the renamed variable keeps the v1 default "hello").
        let fresh = try await scaffold("fresh", "v2", fixture, set: ["salutation=hello"])
        try FileManager.default.moveItem(atPath: fresh, toPath: fixture.sandbox.root + "/shop-v2")
        let expected = snapshot(fixture.sandbox.root + "/shop-v2", skipGit: true, skipRecord: true)
            .mapValues { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "fresh", with: "shop") }
        var actual = snapshot(project, skipGit: true, skipRecord: true).mapValues { String(decoding: $0, as: UTF8.self) }
        XCTAssertEqual(actual.removeValue(forKey: "migrations.log"), "2.0.0\n", "the one migration crossed ran")
        XCTAssertEqual(actual, expected)
        XCTAssertEqual(actual["config.txt"], "port=8080\nsalutation=hello\nregion=eu-shop\n")

        let recorded = try record(project)
        XCTAssertEqual(recorded.version, "v2")
        XCTAssertEqual(recorded.source, fixture.source("v2"))
        let tagged = try await git(["rev-parse", "v2^{commit}"], fixture.repository, fixture)
        XCTAssertEqual(recorded.commit, tagged.trimmingCharacters(in: .whitespacesAndNewlines))
        // Left uncommitted for review; the pristine ref moved to the v2 render.
        let status = try await git(["status", "--porcelain"], project, fixture)
        XCTAssertTrue(status.contains("M  app.txt"), status)
        let pristine = try await git(["show", UpgradeService.pristineRef + ":" + TemplateRecord.path], project, fixture)
        XCTAssertTrue(pristine.contains("\"version\" : \"v2\""), pristine)
    }

    func testUntouchedBundledProjectUpgradeEqualsAFreshScaffoldOfTheNewVersion() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "", fixture, bundled: true)
        XCTAssertEqual(try record(project).version, "1.0.0")
        let listing = await platform(["templates", "--templates-dir", fixture.templates], in: project, fixture)
        XCTAssertNotNil(listing.stdout.range(of: "(?m)^test/svc +1\\.0\\.0 +upgrade test template", options: .regularExpression),
                        listing.stdout)

        try Self.writeTemplate(2, into: fixture.templates + "/test/svc", bundled: true)
        let upgrade = await platform(["upgrade", "--templates-dir", fixture.templates, "--commit"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        let fresh = try await scaffold("fresh", "", fixture, bundled: true, set: ["salutation=hello"])
        let expected = snapshot(fresh, skipGit: true, skipRecord: true)
            .mapValues { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "fresh", with: "shop") }
        XCTAssertEqual(snapshot(project, skipGit: true, skipRecord: true).mapValues { String(decoding: $0, as: UTF8.self) }
                        .filter { $0.key != "migrations.log" }, expected)
        XCTAssertEqual(try record(project).version, "2.0.0")
        let log = try await git(["log", "--format=%s", "-1"], project, fixture)
        XCTAssertEqual(log, "Upgrade test/svc template from 1.0.0 to 2.0.0\n")
        let status = try await git(["status", "--porcelain"], project, fixture)
        XCTAssertEqual(status, "", "--commit commits everything")
    }

    func testUserEditsMergeCleanly() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture)
        // notes.txt: the template never touches it; app.txt: the template changes lines 2 and 10, the user line 5.
        try Data("my own notes\n".utf8).write(to: URL(fileURLWithPath: project + "/notes.txt"))
        try Data(Self.app(1).replacingOccurrences(of: "app {{name}}", with: "app shop")
                    .replacingOccurrences(of: "line 5\n", with: "line 5 edited by the team\n").utf8)
            .write(to: URL(fileURLWithPath: project + "/app.txt"))
        try await commitAll(project, "team edits", fixture)

        let upgrade = await platform(["upgrade", "--to", "v2"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        XCTAssertEqual(read(project + "/notes.txt"), "my own notes\n")
        let app = read(project + "/app.txt") ?? ""
        XCTAssertTrue(app.contains("line 5 edited by the team\n"), app)
        XCTAssertTrue(app.contains("line 10 from template v2\n"), app)
        XCTAssertTrue(app.contains("line 2 from template v2\n"), app)
        XCTAssertFalse(app.contains("<<<<<<<"), app)
        let unmerged = try await git(["ls-files", "--unmerged"], project, fixture)
        XCTAssertEqual(unmerged, "")
    }

    func testSameLinesChangedGiveInlineConflictsUnmergedInGitAndExit1() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture)
        try Data(Self.app(1).replacingOccurrences(of: "app {{name}}", with: "app shop")
                    .replacingOccurrences(of: "line 2\n", with: "line 2 by the team\n").utf8)
            .write(to: URL(fileURLWithPath: project + "/app.txt"))
        try await commitAll(project, "team edits", fixture)

        let upgrade = await platform(["upgrade", "--to", "v2", "--commit", "-o", "json"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 1, upgrade.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(upgrade.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(document?["status"] as? String, "conflicts")
        XCTAssertEqual(document?["conflicted"] as? [String], ["app.txt"])
        let app = read(project + "/app.txt") ?? ""
        XCTAssertTrue(app.contains("<<<<<<< your project\nline 2 by the team\n"), app)
        XCTAssertTrue(app.contains("=======\nline 2 from template v2\n>>>>>>> template v2\n"), app)
        XCTAssertTrue(app.contains("line 10 from template v2\n"), "the other hunk merged: \(app)")
        let status = try await git(["status", "--porcelain"], project, fixture)
        XCTAssertTrue(status.contains("UU app.txt"), status)
        let log = try await git(["log", "--format=%s", "-1"], project, fixture)
        XCTAssertEqual(log, "team edits\n", "nothing committed while conflicts remain")
    }

    func testConflictRejLeavesRejFilesInstead() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture)
        try Data(Self.app(1).replacingOccurrences(of: "app {{name}}", with: "app shop")
                    .replacingOccurrences(of: "line 2\n", with: "line 2 by the team\n")
                    .replacingOccurrences(of: "line 16\n", with: "line 16 by the team\n").utf8)
            .write(to: URL(fileURLWithPath: project + "/app.txt"))
        try await commitAll(project, "team edits", fixture)

        let upgrade = await platform(["upgrade", "--to", "v2", "--conflict", "rej"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 1, upgrade.stderr)
        XCTAssertTrue(upgrade.stdout.contains("rejected hunks: app.txt"), upgrade.stdout)
        let app = read(project + "/app.txt") ?? ""
        XCTAssertFalse(app.contains("<<<<<<<"), app)
        XCTAssertTrue(app.contains("line 2 from template v2\n"), "the template's side of the clash: \(app)")
        XCTAssertTrue(app.contains("line 16 by the team\n"), "the team's hunk that applies: \(app)")
        let rejected = read(project + "/app.txt.rej") ?? ""
        XCTAssertTrue(rejected.contains("+line 2 by the team"), rejected)
        let unmerged = try await git(["ls-files", "--unmerged"], project, fixture)
        XCTAssertEqual(unmerged, "")
        let status = try await git(["status", "--porcelain"], project, fixture)
        XCTAssertTrue(status.contains("?? app.txt.rej"), status)
    }

    func testDeletedRemovedAddedFilesAndTheRenamedVariable() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture, set: ["greeting=moin"])
        try FileManager.default.removeItem(atPath: project + "/docs.txt")  // v2 changes it
        try await commitAll(project, "we do not want docs", fixture)

        let upgrade = await platform(["upgrade", "--to", "v2", "-o", "json"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(upgrade.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(document?["keptDeleted"] as? [String], ["docs.txt"])
        XCTAssertEqual(document?["removed"] as? [String], ["obsolete.txt"])
        XCTAssertEqual(document?["added"] as? [String], ["added.txt"])
        XCTAssertEqual(document?["variablesRenamed"] as? [String: String], ["greeting": "salutation"])
        XCTAssertEqual(document?["variablesAdded"] as? [String: String], ["region": "eu-shop"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: project + "/docs.txt"), "the user's deletion stays")
        XCTAssertFalse(FileManager.default.fileExists(atPath: project + "/obsolete.txt"), "the template's removal applies")
        XCTAssertEqual(read(project + "/added.txt"), "added in v2 for shop\n")
        XCTAssertEqual(read(project + "/config.txt"), "port=8080\nsalutation=moin\nregion=eu-shop\n")
        let variables = try record(project).variables
        XCTAssertEqual(variables, ["name": "shop", "port": "8080", "salutation": "moin", "region": "eu-shop"])
        let status = try await git(["status", "--porcelain"], project, fixture)
        XCTAssertFalse(status.contains("docs.txt"), status)
    }

    func testDirtyTreeIsRefusedWithExit64AndNothingChanges() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture)
        try Data("uncommitted\n".utf8).write(to: URL(fileURLWithPath: project + "/notes.txt"))
        for extra in [[String](), ["--set", "region=us"]] {
            let before = snapshot(project)
            let upgrade = await platform(["upgrade"] + extra, in: project, fixture)
            XCTAssertEqual(upgrade.status, 64, upgrade.stderr)
            XCTAssertTrue(upgrade.stderr.contains("uncommitted changes"), upgrade.stderr)
            XCTAssertTrue(upgrade.stderr.contains("nothing was changed"), upgrade.stderr)
            XCTAssertEqual(upgrade.stdout, "")
            XCTAssertEqual(snapshot(project), before, "tree and .git unchanged")
        }
        // An untracked file makes the tree dirty too.
        try await git(["checkout", "--", "notes.txt"], project, fixture)
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: project + "/untracked.txt"))
        let untracked = await platform(["upgrade"], in: project, fixture)
        XCTAssertEqual(untracked.status, 64, untracked.stderr)
    }

    func testCheckExits2WithTheChangelogThen0AndDryRunAndDiffChangeNothing() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture)
        try Data("my own notes\n".utf8).write(to: URL(fileURLWithPath: project + "/notes.txt"))
        try await commitAll(project, "team edits", fixture)
        let before = snapshot(project)

        let check = await platform(["upgrade", "--check"], in: project, fixture)
        XCTAssertEqual(check.status, 2, check.stderr)
        XCTAssertTrue(check.stdout.hasPrefix("svc v1 → v3: update available\n"), check.stdout)
        XCTAssertTrue(check.stdout.contains("- line 6 reworded"), check.stdout)
        XCTAssertTrue(check.stdout.contains("- added.txt, greeting renamed to salutation"), check.stdout)
        XCTAssertFalse(check.stdout.contains("- first"), "v1 is not crossed: \(check.stdout)")
        let json = await platform(["upgrade", "--check", "-o", "json"], in: project, fixture)
        XCTAssertEqual(json.status, 2, json.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(document?["status"] as? String, "available")
        XCTAssertEqual(document?["to"] as? String, "v3")

        let dryRun = await platform(["upgrade", "--dry-run"], in: project, fixture)
        XCTAssertEqual(dryRun.status, 0, dryRun.stderr)
        XCTAssertTrue(dryRun.stdout.contains("Would upgrade svc v1 → v3"), dryRun.stdout)
        XCTAssertTrue(dryRun.stdout.contains("added: sub/shop.txt"), dryRun.stdout)
        let diff = await platform(["upgrade", "--diff"], in: project, fixture)
        XCTAssertEqual(diff.status, 0, diff.stderr)
        XCTAssertTrue(diff.stdout.contains("+line 6 from template v3"), diff.stdout)
        XCTAssertTrue(diff.stdout.contains("diff --git a/obsolete.txt b/obsolete.txt\ndeleted file mode"), diff.stdout)
        XCTAssertFalse(diff.stdout.contains("notes.txt"), "the team's file is not touched: \(diff.stdout)")
        XCTAssertEqual(snapshot(project), before, "--check, --dry-run and --diff change neither the tree nor .git")

        let upgrade = await platform(["upgrade", "--commit"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        let again = await platform(["upgrade", "--check"], in: project, fixture)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, "svc v3: up to date\n")
    }

    func testMigrationsRunOnceForTheVersionsCrossedAndDowngradesAreRefused() async throws {
        let fixture = try await makeFixture()
        let project = try await scaffold("shop", "v1", fixture)
        XCTAssertFalse(FileManager.default.fileExists(atPath: project + "/migrations.log"), "scaffold runs none")
        let first = await platform(["upgrade", "--to", "v2", "--commit"], in: project, fixture)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(read(project + "/migrations.log"), "2.0.0\n")
        let same = await platform(["upgrade", "--to", "v2"], in: project, fixture)
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(read(project + "/migrations.log"), "2.0.0\n", "nothing runs when nothing is crossed")
        let second = await platform(["upgrade", "--commit"], in: project, fixture)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(read(project + "/migrations.log"), "2.0.0\n3.0.0\n")

        let before = snapshot(project)
        let downgrade = await platform(["upgrade", "--to", "v1"], in: project, fixture)
        XCTAssertEqual(downgrade.status, 64, downgrade.stderr)
        XCTAssertTrue(downgrade.stderr.contains("downgrade refused"), downgrade.stderr)
        let unknown = await platform(["upgrade", "--to", "v9"], in: project, fixture)
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("available: v1, v2, v3"), unknown.stderr)
        XCTAssertEqual(snapshot(project), before)
    }

    func testAFailingMigrationStopsWithAClearErrorAndLeavesTheTree() async throws {
        let fixture = try await makeFixture()
        try Self.writeTemplate(1, into: fixture.templates + "/test/svc", bundled: true)
        let project = try await scaffold("shop", "", fixture, bundled: true)
        try Self.writeTemplate(2, into: fixture.templates + "/test/svc", bundled: true)
        let manifestPath = fixture.templates + "/test/svc/template.json"
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any] ?? [:]
        manifest["migrations"] = [["version": "2.0.0", "command": ["python3", "-c", "import sys; sys.exit(3)"]]]
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))

        let upgrade = await platform(["upgrade", "--templates-dir", fixture.templates, "--commit"], in: project, fixture)
        XCTAssertEqual(upgrade.status, 1, upgrade.stderr)
        XCTAssertTrue(upgrade.stderr.contains("migration 2.0.0 (python3 -c import sys; sys.exit(3)) exited with status 3"), upgrade.stderr)
        XCTAssertEqual(read(project + "/added.txt"), "added in v2 for shop\n", "the merged tree is left for inspection")
        let log = try await git(["log", "--format=%s"], project, fixture)
        XCTAssertEqual(log.split(separator: "\n").count, 1, "nothing committed")
    }

    func testAFreshCloneWithoutThePristineRefFallsBackToRenderingTheRecordedVersion() async throws {
        let fixture = try await makeFixture()
        // A git template: the recorded commit is cloned and rendered again.
        let project = try await scaffold("shop", "v1", fixture)
        try Data("my own notes\n".utf8).write(to: URL(fileURLWithPath: project + "/notes.txt"))
        try await commitAll(project, "team edits", fixture)
        let clone = fixture.sandbox.root + "/clone"
        try await git(["clone", "--quiet", project, clone], fixture.sandbox.root, fixture)
        let refs = try await git(["for-each-ref", "refs/platform"], clone, fixture)
        XCTAssertEqual(refs, "", "git clone does not bring refs/platform/*")
        let upgrade = await platform(["upgrade", "--to", "v2"], in: clone, fixture)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        XCTAssertTrue(upgrade.stderr.contains("rendering svc v1 again"), upgrade.stderr)
        XCTAssertEqual(read(clone + "/notes.txt"), "my own notes\n")
        XCTAssertEqual(read(clone + "/added.txt"), "added in v2 for shop\n")

        // A bundled template whose folder now has only 2.0.0: the error names the fixes; with the
        // old version in another templates folder it works.
        let bundled = try await scaffold("web", "", fixture, bundled: true)
        let old = fixture.sandbox.root + "/old-templates"
        try FileManager.default.createDirectory(atPath: old + "/test", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.templates + "/test/svc", toPath: old + "/test/svc")
        try Self.writeTemplate(2, into: fixture.templates + "/test/svc", bundled: true)
        let bundledClone = fixture.sandbox.root + "/web-clone"
        try await git(["clone", "--quiet", bundled, bundledClone], fixture.sandbox.root, fixture)
        let missing = await platform(["upgrade", "--templates-dir", fixture.templates], in: bundledClone, fixture)
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("git fetch origin refs/platform/template:refs/platform/template"), missing.stderr)
        let status = try await git(["status", "--porcelain"], bundledClone, fixture)
        XCTAssertEqual(status, "")
        let withOld = await runCLI(["upgrade", "--templates-dir", fixture.templates],
                                   environment: fixture.sandbox.environment(extra: ["PLATFORM_TEMPLATES_DIR": old]),
                                   directory: bundledClone)
        XCTAssertEqual(withOld.status, 0, withOld.stderr)
        XCTAssertEqual(read(bundledClone + "/added.txt"), "added in v2 for web\n")
        XCTAssertEqual(try record(bundledClone).version, "2.0.0")
    }

    func testAProjectFromBeforeTemplatesHadVersionsAdoptsTheVersionWithTheSameFiles() async throws {
        let fixture = try await makeFixture()
        // As an older platform made it: no version in template.json or the record, no pristine ref.
        try Self.writeTemplate(1, into: fixture.templates + "/test/svc", bundled: false)
        let project = try await scaffold("shop", "", fixture, bundled: true)
        try await git(["update-ref", "-d", UpgradeService.pristineRef], project, fixture)
        XCTAssertNil(try record(project).version)
        try Self.writeTemplate(1, into: fixture.templates + "/test/svc", bundled: true)
        let before = snapshot(project, skipGit: true, skipRecord: true)

        let adopt = await platform(["upgrade", "--templates-dir", fixture.templates, "--commit"], in: project, fixture)
        XCTAssertEqual(adopt.status, 0, adopt.stderr)
        XCTAssertTrue(adopt.stdout.contains("Upgraded test/svc unversioned → 1.0.0"), adopt.stdout)
        XCTAssertEqual(try record(project).version, "1.0.0")
        var after = snapshot(project, skipGit: true, skipRecord: true)
        XCTAssertEqual(after.removeValue(forKey: "migrations.log"), Data("1.0.0\n".utf8))
        XCTAssertEqual(after, before, "the same template files: only the record changes")

        try Self.writeTemplate(2, into: fixture.templates + "/test/svc", bundled: true)
        let upgrade = await platform(["upgrade", "--templates-dir", fixture.templates], in: project, fixture)
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        XCTAssertFalse(upgrade.stderr.contains("again"), "the ref the adoption made is the base: \(upgrade.stderr)")
        XCTAssertEqual(read(project + "/added.txt"), "added in v2 for shop\n")
    }

    func testOutsideAProjectIsBadInput() async throws {
        let fixture = try await makeFixture()
        let plain = await platform(["upgrade"], in: fixture.sandbox.work, fixture)
        XCTAssertEqual(plain.status, 64, plain.stderr)
        XCTAssertTrue(plain.stderr.contains("not inside a git repository"), plain.stderr)
        let bad = await platform(["upgrade", "--conflict", "ours"], in: fixture.sandbox.work, fixture)
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("invalid --conflict 'ours': use inline or rej"), bad.stderr)
    }
}
