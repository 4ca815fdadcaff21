import Foundation
import XCTest

/// The one golden-file check (swift-argument-parser's snapshot tests): `actual` must equal the
/// committed file at `relativePath` (from the checkout root); `PLATFORM_RECORD_GOLDEN=1` rewrites the
/// file instead. Help texts, completion scripts, the reference docs, rendered manifests and Terraform
/// JSON are all checked this way.
public enum Golden {
    public static var recording: Bool { ProcessInfo.processInfo.environment["PLATFORM_RECORD_GOLDEN"] == "1" }

    public static func assertMatches(_ actual: String, _ relativePath: String, rerun filter: String,
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        try assertMatches(Data(actual.utf8), relativePath, rerun: filter, file: file, line: line)
    }

    public static func assertMatches(_ actual: Data, _ relativePath: String, rerun filter: String,
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        let path = Repo.root + "/" + relativePath
        if recording {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try actual.write(to: URL(fileURLWithPath: path))
            return
        }
        guard let expected = FileManager.default.contents(atPath: path) else {
            XCTFail("missing golden file \(relativePath); record it with PLATFORM_RECORD_GOLDEN=1 swift test --filter \(filter)",
                    file: file, line: line)
            return
        }
        XCTAssertEqual(String(decoding: actual, as: UTF8.self), String(decoding: expected, as: UTF8.self),
                       "\(relativePath) differs; re-record with PLATFORM_RECORD_GOLDEN=1 swift test --filter \(filter) if intended",
                       file: file, line: line)
    }
}
