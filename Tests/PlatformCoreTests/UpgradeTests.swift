import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class UpgradeTests: XCTestCase {
    func testSemanticVersionsParseAndOrder() throws {
        XCTAssertEqual(SemanticVersion("v2")?.normalized, "2.0.0")
        XCTAssertEqual(SemanticVersion("1.2")?.normalized, "1.2.0")
        XCTAssertEqual(SemanticVersion("1.2.3-rc.1+build.5")?.normalized, "1.2.3-rc.1")
        for bad in ["", "v", "1.2.3.4", "1..2", "x1", "1.2.3-", "1.a", "latest", "-1"] {
            XCTAssertNil(SemanticVersion(bad), bad)
        }
        let ordered = ["0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11",
                       "1.0.0-rc.1", "v1", "1.0.1", "1.10.0", "v2"]
        let versions = ordered.compactMap(SemanticVersion.init)
        XCTAssertEqual(versions.count, ordered.count)
        XCTAssertEqual(versions.shuffled().sorted().map(\.text), ordered)
        XCTAssertEqual(SemanticVersion("v1"), SemanticVersion("1.0.0"), "the same version, spelled two ways")
    }

    func testChangelogLinesOfTheVersionsCrossed() throws {
        let changelog = TemplateChangelog(text: """
        # Changelog

        ## [1.2.0] - 2026-11-30
        - probes

        ## v1.1.0
        - base image bump

        ## 1.0.0
        - first
        ## Unreleased notes are not a version
        - ignored
        """)
        XCTAssertEqual(changelog.lines(after: SemanticVersion("1.0.0"), upTo: SemanticVersion("1.2.0")!),
                       ["## [1.2.0] - 2026-11-30", "- probes", "## v1.1.0", "- base image bump"])
        XCTAssertEqual(changelog.lines(after: SemanticVersion("1.0.0"), upTo: SemanticVersion("1.1.0")!),
                       ["## v1.1.0", "- base image bump"])
        XCTAssertEqual(changelog.lines(after: nil, upTo: SemanticVersion("1.0.0")!), ["## 1.0.0", "- first"])
    }

    func testManifestVersionAndMigrationsAreChecked() throws {
        let good = #"{"description": "d", "version": "1.2.0", "migrations": [{"version": "1.2.0", "command": ["true"]}]}"#
        let manifest = try JSONDecoder().decode(TemplateManifest.self, from: Data(good.utf8))
        XCTAssertEqual(manifest.version, "1.2.0")
        XCTAssertEqual(manifest.migrations, [TemplateMigration(version: "1.2.0", command: ["true"])])
        for bad in [#"{"description": "d", "version": "latest"}"#,
                    #"{"description": "d", "migrations": [{"version": "x", "command": ["true"]}]}"#,
                    #"{"description": "d", "migrations": [{"version": "1.0.0", "command": []}]}"#] {
            XCTAssertThrowsError(try JSONDecoder().decode(TemplateManifest.self, from: Data(bad.utf8)), bad)
        }
    }

    func testEveryBundledTemplateHasAVersion() throws {
        let templates = TemplateStore(directories: [Repo.templates])
        let listed = try templates.list().filter { !$0.id.hasPrefix("terraform/") }
        XCTAssertFalse(listed.isEmpty)
        for template in listed {
            XCTAssertNotNil(template.manifest.version.flatMap(SemanticVersion.init), template.id)
        }
    }
}
