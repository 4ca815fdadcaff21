import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class StatusEndToEndTests: XCTestCase {
    func testStatusJSONIsComplete() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let image = "registry.example.com/shop:2.0.0"
        let deploy = await app.platform(["deploy", "shop", "--image", image, "-m", "go"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        let run = await app.platform(["status", "shop", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(document["app"]?.stringValue, "shop")
        XCTAssertEqual(document["environment"]?.stringValue, "staging")
        XCTAssertEqual(document["url"]?.stringValue, "http://shop.staging.example.com")
        XCTAssertEqual(document["image"]?.stringValue, image)
        XCTAssertEqual(document["healthy"]?.boolValue, true)
        XCTAssertEqual(document["replicas"], .object(["desired": .number(2), "updated": .number(2), "ready": .number(2),
                                                      "available": .number(2)]))
        XCTAssertEqual(document["release", "revision"]?.intValue, 1)
        XCTAssertEqual(document["release", "image"]?.stringValue, image)
        XCTAssertEqual(document["release", "result"]?.stringValue, "succeeded")
        XCTAssertEqual(document["release", "user"]?.stringValue, "tester")
        let pods = try XCTUnwrap(document["pods"]?.arrayValue)
        XCTAssertEqual(pods.count, 2)
        for pod in pods {
            XCTAssertEqual(pod["phase"]?.stringValue, "Running")
            XCTAssertEqual(pod["ready"]?.boolValue, true)
            XCTAssertEqual(pod["restarts"]?.intValue, 0)
            XCTAssertEqual(pod["image"]?.stringValue, image)
            XCTAssertNotNil(pod["name"]?.stringValue)
        }
    }

    func testStatusShowsWaitingReasonsOfAFailedDeploy() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let deploy = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:broken", "--no-rollback"])
        XCTAssertEqual(deploy.status, 4, deploy.stderr)
        let run = await app.platform(["status", "shop"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("shop in staging: not ready\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("URL:       http://shop.staging.example.com"), run.stdout)
        // ErrImagePull during an attempt, ImagePullBackOff between attempts (as a kubelet reports)
        XCTAssertTrue(run.stdout.contains("ImagePullBackOff") || run.stdout.contains("ErrImagePull"), run.stdout)
        let missing = await app.platform(["status", "cart"])
        XCTAssertEqual(missing.status, 1)
    }
}
