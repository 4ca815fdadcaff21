import Hummingbird
import HummingbirdTesting
import XCTest

@testable import {{name_pascal}}

final class AppTests: XCTestCase {
    func testHealthz() async throws {
        let app = buildApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                XCTAssertEqual(String(buffer: response.body), #"{"status":"ok"}"#)
            }
        }
    }

    func testRootNamesService() async throws {
        let app = buildApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertTrue(String(buffer: response.body).contains("{{name}}"))
            }
        }
    }

    func testThePublicAppDoesNotServeMetrics() async throws {
        let app = buildApplication()
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
            }
        }
    }

    func testMetricsCountsRequests() async throws {
        let metrics = makeMetrics()
        let app = buildApplication(metrics: metrics)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/no-such-page", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
            }
        }
        try await buildMetricsApplication(metrics: metrics).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                XCTAssertTrue(text.contains("# TYPE http_requests_total counter"))
                XCTAssertTrue(text.contains(#"http_requests_total{path="/healthz",code="200"} 2"#))
                XCTAssertTrue(text.contains(#"http_requests_total{path="other",code="404"} 1"#))
                XCTAssertTrue(text.contains("# TYPE process_start_time_seconds gauge"))
            }
        }
    }
}
