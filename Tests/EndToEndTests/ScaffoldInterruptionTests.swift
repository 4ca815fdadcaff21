import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Ctrl-C or SIGTERM to the built binary while it renders a large template (3,000 files) or commits
/// it: whatever the moment, no `.NAME.platform-XXXXXX` folder is left in --dir, the project is
/// either complete or absent, and the run is recorded with the exit code it ended with.
final class ScaffoldInterruptionTests: XCTestCase {
    enum Point: CustomStringConvertible {
        case renderingStarted, rendered(Int), gitInitialised, gitIndexWritten
        var description: String {
            switch self {
            case .renderingStarted: return "rendering started"
            case .rendered(let count): return "\(count) files rendered"
            case .gitInitialised: return "git init done"
            case .gitIndexWritten: return "git add writing the index"
            }
        }
    }

    func temporaryFolders(_ parent: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.hasPrefix(".big.platform-") }
    }

    func reached(_ point: Point, parent: String, stderr: String) -> Bool {
        guard let folder = temporaryFolders(parent).first.map({ parent + "/" + $0 }) else { return false }
        switch point {
        case .renderingStarted: return stderr.contains("Rendering")
        case .rendered(let count):
            var seen = 0
            let walker = FileManager.default.enumerator(atPath: folder)
            while walker?.nextObject() != nil { seen += 1; if seen >= count { return true } }
            return false
        case .gitInitialised: return FileManager.default.fileExists(atPath: folder + "/.git/HEAD")
        case .gitIndexWritten:
            return FileManager.default.fileExists(atPath: folder + "/.git/index")
                || FileManager.default.fileExists(atPath: folder + "/.git/index.lock")
        }
    }

    func testInterruptedScaffoldLeavesNothingBehindAndIsRecorded() async throws {
        let sandbox = try Sandbox()
        let template = sandbox.root + "/big-template"
        try sandbox.write(template + "/template.json", #"{"description": "3,000 files"}"#)
        for folder in 0..<30 {
            for file in 0..<100 {
                try sandbox.write(template + "/f\(folder)/{{name}}-\(file).txt", "file \(file) of {{name}}\n" + String(repeating: "x", count: 2000))
            }
        }
        let points: [Point] = [.renderingStarted, .rendered(300), .rendered(1500), .rendered(2900), .gitInitialised, .gitIndexWritten]
        var interrupted = 0
        for sig in [SIGINT, SIGTERM] {
            for point in points {
                let parent = sandbox.root + "/out-\(sig)-\(point)".replacingOccurrences(of: " ", with: "-")
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                let state = parent + "-state"
                let run = try RunningPlatform(["scaffold", "big", "--template", template, "--dir", parent],
                                              environment: sandbox.environment(extra: ["PLATFORM_STATE_DIR": state]),
                                              directory: sandbox.work)
                // Poll closely for the moment, then signal (the moment is observed, not timed).
                var signalled = false
                for _ in 0..<20_000 where run.process.isRunning {
                    if reached(point, parent: parent, stderr: run.stderr) {
                        kill(run.pid, sig)
                        signalled = true
                        break
                    }
                    try await Task.sleep(nanoseconds: 2_000_000)
                }
                let status = run.exitStatus(within: 120)
                let context = "\(sig == SIGINT ? "SIGINT" : "SIGTERM") at \(point) (signalled: \(signalled)): exit \(status.map(String.init) ?? "none"); stderr: \(run.stderr)"
                XCTAssertEqual(temporaryFolders(parent), [], "temporary folder left: \(context)")
                let listing = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
                if status == 0 {
                    XCTAssertEqual(listing, ["big"], context)
                    let log = try await runProgram(["git", "status", "--porcelain"], environment: sandbox.environment(),
                                                   directory: parent + "/big")
                    XCTAssertEqual(log.stdoutText, "", "a complete, committed project: \(context)")
                } else {
                    XCTAssertEqual(status, 128 + sig, context)
                    XCTAssertEqual(listing, [], "no partial project: \(context)")
                    interrupted += 1
                }
                let events = try EventLog(path: state + "/events.jsonl").read().events
                XCTAssertEqual(events.map(\.command), ["scaffold"], "the run is recorded: \(context)")
                XCTAssertEqual(events.last?.exitCode, status, context)
            }
        }
        XCTAssertGreaterThan(interrupted, 6, "most runs must actually be interrupted for the test to say anything")
    }
}
