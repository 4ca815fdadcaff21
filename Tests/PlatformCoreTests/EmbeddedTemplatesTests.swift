import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// The templates and module compiled into the binary (Plugins/EmbedTemplates) are `templates/`, byte for byte.
final class EmbeddedTemplatesTests: XCTestCase {
    func testEmbeddedSetEqualsTheTemplatesFolderByteForByte() throws {
        let root = Repo.templates
        var onDisk: [String: (Data, Bool)] = [:]
        let walker = try XCTUnwrap(FileManager.default.enumerator(atPath: root))
        for case let relative as String in walker {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            let data = try XCTUnwrap(FileManager.default.contents(atPath: root + "/" + relative))
            onDisk[relative] = (data, FileManager.default.isExecutableFile(atPath: root + "/" + relative))
        }
        let embedded = EmbeddedTemplates.files
        XCTAssertEqual(embedded.map(\.path), onDisk.keys.sorted(),
                       "the same files, in path order (after adding or removing a file under templates/, 'touch Package.swift' so SwiftPM reruns the EmbedTemplates plugin)")
        for file in embedded {
            XCTAssertEqual(file.data, onDisk[file.path]?.0, file.path)
            XCTAssertEqual(file.executable, onDisk[file.path]?.1, "executable bit of \(file.path)")
        }
        XCTAssertTrue(embedded.contains { $0.path == "terraform/application/main.tf" })
        XCTAssertTrue(embedded.contains { $0.path.hasPrefix("python/flask/") && $0.path.hasSuffix("template.json") })
    }

    func testMaterializedOnceIntoTheCacheAndFoundAfterEveryFolder() throws {
        let sandbox = try Sandbox()
        let env = ["HOME": sandbox.home, "XDG_CACHE_HOME": sandbox.root + "/cache"]
        let store = TemplateStore(directories: [sandbox.root + "/none"], embeddedEnvironment: env)
        let flask = try store.find("python/flask")
        let folder = EmbeddedTemplates.folder(environment: env)
        XCTAssertEqual(flask.directory, folder + "/python/flask")
        XCTAssertTrue(folder.hasPrefix(sandbox.root + "/cache/platform/bundled/"))
        XCTAssertEqual(Sandbox.listing(sandbox.root + "/cache/platform/bundled"), [String(folder.split(separator: "/").last!)]
            + Sandbox.listing(folder).map { String(folder.split(separator: "/").last!) + "/" + $0 },
                       "one folder, no scratch folder left")
        XCTAssertEqual(try store.list().map(\.id).filter { !$0.hasPrefix("terraform/") },
                       ["go/http", "node/express", "python/flask", "swift/hummingbird"])
        // A folder given first still wins.
        try sandbox.write(sandbox.root + "/mine/python/flask/template.json", #"{"description": "mine"}"#)
        let mine = TemplateStore(directories: [sandbox.root + "/mine"], embeddedEnvironment: env)
        XCTAssertEqual(try mine.find("python/flask").directory, sandbox.root + "/mine/python/flask")
        XCTAssertEqual(ApplicationModule.settableVariables(files: ApplicationModule.embeddedFiles),
                       ApplicationModule.settableVariables(at: Repo.templates + "/terraform/application"))
    }
}
