import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// events.jsonl is bounded (rotated at `EventLog.rotateBytes`, `keptArchives` rotated files kept),
/// metrics read the rotated files too, and TAB completion never opens the log.
final class EventLogRotationTests: XCTestCase {
    func testCompletionOfAppsNeverReadsTheEventLog() async throws {
        let sandbox = try Sandbox()
        // A FIFO blocks whoever opens it for reading: completion must finish without touching it.
        XCTAssertEqual(mkfifo(sandbox.state + "/events.jsonl", 0o600), 0)
        try FileManager.default.createDirectory(atPath: sandbox.state + "/workspaces/dev/shop", withIntermediateDirectories: true)
        let run = try await runProgram(["/usr/bin/timeout", "20", Repo.binary, "__complete", "apps"],
                                       environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(run.status, 0, "completion blocked on the event log: \(run.stderrText)")
        XCTAssertEqual(run.stdoutText, "shop\n")
    }

    func testALargeLogIsRotatedAndMetricsStillCountIt() async throws {
        let sandbox = try Sandbox()
        let now = formatTimestamp(Date().addingTimeInterval(-3600))
        let line = #"{"command": "deploy", "app": "shop", "environment": "prod", "durationSeconds": 1, "exitCode": 0, "#
            + #""image": "registry.example.com/shop:\#(String(repeating: "1", count: 120))", "outcome": "success", "result": "ok", "time": "\#(now)"}"#
            + "\n"
        let count = Int(EventLog.rotateBytes) / line.utf8.count + 10
        try Data(String(repeating: line, count: count).utf8).write(to: URL(fileURLWithPath: sandbox.state + "/events.jsonl"))
        // Old rotated files beyond the kept number are removed at the rotation.
        for month in 1...EventLog.keptArchives {
            try sandbox.write(sandbox.state + "/events-2020\(String(format: "%02d", month))01T000000Z-1.jsonl", "")
        }
        let templates = try await runProgram([Repo.binary, "templates"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(templates.status, 0, templates.stderrText)

        let files = try FileManager.default.contentsOfDirectory(atPath: sandbox.state).filter { $0.hasPrefix("events") }
        XCTAssertEqual(files.filter { $0.hasPrefix("events-") }.count, EventLog.keptArchives, "\(files.sorted())")
        XCTAssertFalse(files.contains("events-20200101T000000Z-1.jsonl"), "the oldest rotated file is gone")
        let current = try String(contentsOfFile: sandbox.state + "/events.jsonl", encoding: .utf8)
        XCTAssertEqual(current.split(separator: "\n").count, 1, "a new log with the one new event")
        XCTAssertTrue(current.contains(#""command":"templates""#), current)

        let metrics = try await runProgram([Repo.binary, "metrics", "--local", "-o", "json"], environment: sandbox.environment(),
                                           directory: sandbox.work)
        XCTAssertEqual(metrics.status, 0, metrics.stderrText)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(metrics.stdoutText.utf8))
        XCTAssertEqual(document["deployments", "true"], .number(Double(count)), "the rotated events are counted")
    }
}
