import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

/// The live line's fit to the terminal (the real terminal is TerminalProgressEndToEndTests): what it
/// writes for a given width, without a terminal.
final class ProgressLineTests: XCTestCase {
    /// The last redraw of the live line: what follows the last carriage return and erase-line. (Its first
    /// character is whichever spinner frame the 100 ms timer reached: the tests do not look at it.)
    func lastDraw(_ written: String) -> String {
        written.components(separatedBy: "\r\u{1B}[K").last ?? ""
    }

    func testTheLiveLineIsCutToTheWidthLessThreeColumnsAndKeepsTheElapsedTime() {
        let sink = BufferSink()
        let line = ProgressLine(sink: sink, color: false, columns: { 40 })
        line.start("Rollout")
        line.update("1/1 updated, 0/1 ready, 1 old pending termination")
        let drawn = lastDraw(sink.text)
        XCTAssertEqual(ProgressLine.width(of: drawn), 37, drawn)
        XCTAssertNotNil(drawn.range(of: #"^. Rollout: 1/1 updated, 0/1 rea… [0-9]\.[0-9]s$"#, options: .regularExpression), drawn)
        line.finish("✓ Rollout (1/1 ready) 2.1s")
        XCTAssertTrue(sink.text.hasSuffix("\r\u{1B}[K✓ Rollout (1/1 ready) 2.1s\n"), "the final line is never cut")
    }

    func testALineThatFitsIsNotCutAndAnUnknownWidthCutsNothing() {
        let fits = BufferSink()
        let line = ProgressLine(sink: fits, color: false, columns: { 120 })
        line.start("Terraform apply")
        XCTAssertNotNil(lastDraw(fits.text).range(of: #"^. Terraform apply [0-9]\.[0-9]s$"#, options: .regularExpression), fits.text)
        line.finish("done")

        let unknown = BufferSink()
        let other = ProgressLine(sink: unknown, color: false)
        other.start("Rollout")
        other.update(String(repeating: "x", count: 300))
        XCTAssertTrue(lastDraw(unknown.text).contains(String(repeating: "x", count: 300)))
        other.finish("done")
    }

    func testWideCharactersCountTwoColumns() {
        XCTAssertEqual(ProgressLine.width(of: "部署 ok"), 7)
        XCTAssertEqual(ProgressLine.cut("部署部署", to: 5), "部署…")
        XCTAssertEqual(ProgressLine.cut("abcdef", to: 6), "abcdef")
        XCTAssertEqual(ProgressLine.cut("abcdefg", to: 6), "abcde…")
        XCTAssertEqual(ProgressLine.width(of: "e\u{301}"), 1, "a combining mark is part of its character")
    }

    func testOnAVeryNarrowTerminalTheElapsedTimeGoesToo() {
        let sink = BufferSink()
        let line = ProgressLine(sink: sink, color: false, columns: { 12 })
        line.start("Kubernetes apply")
        XCTAssertEqual(String(lastDraw(sink.text).dropFirst()), " Kubern…", "9 columns: spinner, space, 6 + …")
        line.finish("done")
    }
}
