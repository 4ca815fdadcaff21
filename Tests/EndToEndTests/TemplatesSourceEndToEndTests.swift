import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `templates_source` from the organisation config: a git+file:// repository cloned into the cache,
/// used by `templates`, `scaffold` and the completions, refreshed by --refresh or hourly for a branch,
/// and used from the cache (saying so) when the repository cannot be reached.
final class TemplatesSourceEndToEndTests: XCTestCase {
    func git(_ arguments: [String], _ sandbox: Sandbox, in directory: String) async throws {
        let result = try await runProgram(["git", "-c", "user.name=t", "-c", "user.email=t@x"] + arguments,
                                          environment: sandbox.environment(), directory: directory)
        XCTAssertEqual(result.status, 0, result.stderrText)
    }

    /// A repository with one template, `python/flask` copied from templates/ with its own description.
    func makeRepository(_ sandbox: Sandbox, description: String) async throws -> String {
        let repo = sandbox.root + "/templates-repo"
        try FileManager.default.createDirectory(atPath: repo + "/python", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.templates + "/python/flask", toPath: repo + "/python/flask")
        try setDescription(repo, description)
        try Data("from the platform team's repository\n".utf8).write(to: URL(fileURLWithPath: repo + "/python/flask/ORG.txt"))
        try await git(["init", "--quiet", "-b", "main"], sandbox, in: repo)
        try await git(["add", "--all"], sandbox, in: repo)
        try await git(["commit", "--quiet", "-m", "templates"], sandbox, in: repo)
        try await git(["tag", "v1"], sandbox, in: repo)
        return repo
    }

    func setDescription(_ repo: String, _ description: String) throws {
        let path = repo + "/python/flask/template.json"
        var manifest = try JSONDecoder().decode(JSONValue.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        if case .object(var object) = manifest { object["description"] = .string(description); manifest = .object(object) }
        try manifest.encoded(pretty: true).write(to: URL(fileURLWithPath: path))
    }

    func templates(_ sandbox: Sandbox, _ extra: [String] = []) async -> CLIRun {
        await runCLI(["templates"] + extra, environment: environment(sandbox), directory: sandbox.work)
    }

    func environment(_ sandbox: Sandbox) -> [String: String] {
        var env = sandbox.environment(extra: ["XDG_CACHE_HOME": sandbox.root + "/cache"])
        env["PLATFORM_TEMPLATES_DIR"] = nil
        return env
    }

    func flaskLine(_ run: CLIRun) -> String {
        run.stdout.split(separator: "\n").first { $0.hasPrefix("python/flask") }.map(String.init) ?? ""
    }

    func testBranchSourceIsCachedRefreshedAndUsedOffline() async throws {
        let sandbox = try Sandbox()
        let repo = try await makeRepository(sandbox, description: "Flask from the platform team, v1")
        try sandbox.write(sandbox.organisationConfig, #"{"templates_source": "git+file://\#(repo)@main"}"#)

        let first = await templates(sandbox)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(flaskLine(first).contains("Flask from the platform team, v1"), first.stdout)
        XCTAssertTrue(first.stdout.contains("node/express"), "the bundled ones remain the fallback: \(first.stdout)")
        XCTAssertTrue(first.stderr.contains("Fetching templates from git+file://\(repo)@main"), first.stderr)
        let cacheRoot = sandbox.root + "/cache/platform/templates"
        let cached = try FileManager.default.contentsOfDirectory(atPath: cacheRoot)
        XCTAssertEqual(cached.count, 1)
        let stamp = cacheRoot + "/" + cached[0] + "/fetched.json"

        // A new commit on the branch: within the hour the cached clone is used, --refresh fetches it.
        try setDescription(repo, "Flask from the platform team, v2")
        try await git(["commit", "--quiet", "-am", "v2"], sandbox, in: repo)
        let cachedRun = await templates(sandbox)
        XCTAssertTrue(flaskLine(cachedRun).contains("v1"), cachedRun.stdout)
        XCTAssertFalse(cachedRun.stderr.contains("templates from"), "no fetch within the hour: \(cachedRun.stderr)")
        let refreshed = await templates(sandbox, ["--refresh"])
        XCTAssertEqual(refreshed.status, 0, refreshed.stderr)
        XCTAssertTrue(flaskLine(refreshed).contains("v2"), refreshed.stdout)
        XCTAssertTrue(refreshed.stderr.contains("Refreshing templates from"), refreshed.stderr)

        // A branch clone older than an hour is fetched again by itself.
        try setDescription(repo, "Flask from the platform team, v3")
        try await git(["commit", "--quiet", "-am", "v3"], sandbox, in: repo)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -2 * 3600)], ofItemAtPath: stamp)
        let hourly = await templates(sandbox)
        XCTAssertTrue(flaskLine(hourly).contains("v3"), hourly.stdout)

        // Scaffold uses it; the completion values list it without running git.
        let scaffold = await runCLI(["scaffold", "shop", "--template", "python/flask", "--no-git"], environment: environment(sandbox),
                                    directory: sandbox.work)
        XCTAssertEqual(scaffold.status, 0, scaffold.stderr)
        XCTAssertEqual(try String(contentsOfFile: sandbox.work + "/shop/ORG.txt", encoding: .utf8),
                       "from the platform team's repository\n", "scaffolded from the repository's template")

        // Offline: the repository is gone; --refresh falls back to the cache and says so.
        try FileManager.default.removeItem(atPath: repo)
        let offline = await templates(sandbox, ["--refresh"])
        XCTAssertEqual(offline.status, 0, offline.stderr)
        XCTAssertTrue(flaskLine(offline).contains("v3"), offline.stdout)
        XCTAssertTrue(offline.stderr.contains("could not refresh templates from git+file://\(repo)@main (offline?); using the cached clone fetched "),
                      offline.stderr)
        let completion = await runCLI(["__complete", "templates"], environment: environment(sandbox), directory: sandbox.work)
        XCTAssertTrue(completion.stdout.split(separator: "\n").contains("python/flask"), completion.stdout + completion.stderr)
        XCTAssertEqual(completion.stderr, "", "completions never fetch")
    }

    func testTagSourceIsFetchedOnceAndAMissingRepositoryWithoutCacheFails() async throws {
        let sandbox = try Sandbox()
        let repo = try await makeRepository(sandbox, description: "Tagged flask")
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"templates_source": "git+file://\#(repo)@v1"}"#)
        let first = await templates(sandbox)
        XCTAssertTrue(flaskLine(first).contains("Tagged flask"), first.stdout + first.stderr)
        let stamp = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/cache/platform/templates")
            .map { sandbox.root + "/cache/platform/templates/" + $0 + "/fetched.json" }[0]
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -48 * 3600)], ofItemAtPath: stamp)
        let again = await templates(sandbox)
        XCTAssertFalse(again.stderr.contains("templates from"), "a tag never moves: \(again.stderr)")

        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"templates_source": "git+file://\#(sandbox.root)/nowhere.git@main"}"#)
        let missing = await templates(sandbox)
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("could not fetch templates_source git+file://\(sandbox.root)/nowhere.git@main"), missing.stderr)
    }
}
