import Foundation
@testable import PlatformCore
import XCTest

/// TaskJob (the Job document of `platform run`) and TaskRules (the task pod's state).
final class TaskJobTests: XCTestCase {
    func decode(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    func testJobCopiesTheAppPodSettingsAndRunsTheArgvWithoutAShell() throws {
        let deployment = try decode("""
        {"spec":{"template":{"spec":{"serviceAccountName":"shop-sa","securityContext":{"runAsNonRoot":true},
          "containers":[{"name":"shop","image":"r/shop:1","env":[{"name":"A","value":"1"}],
                         "envFrom":[{"secretRef":{"name":"shop-secrets"}}],"ports":[{"containerPort":8000}]}]}}}}
        """)
        let request = TaskRequest(app: "shop", environment: "staging", argv: ["python", "-m", "shop.migrate"], timeout: 600)
        let job = try TaskJob.document(request, deployment: deployment)
        XCTAssertEqual(job["metadata", "generateName"], .string("shop-run-"))
        XCTAssertEqual(job["metadata", "labels", "app.kubernetes.io/name"], .string("shop"))
        XCTAssertEqual(job["metadata", "labels", "app.kubernetes.io/component"], .string("task"))
        XCTAssertEqual(job["spec", "backoffLimit"], .number(0))
        XCTAssertEqual(job["spec", "template", "spec", "restartPolicy"], .string("Never"))
        XCTAssertEqual(job["spec", "template", "spec", "serviceAccountName"], .string("shop-sa"))
        XCTAssertEqual(job["spec", "template", "spec", "securityContext", "runAsNonRoot"], .bool(true))
        // The pod must not match the Service's and Deployment's selector.
        XCTAssertNil(job["spec", "template", "metadata", "labels", "app.kubernetes.io/name"])
        let container = job["spec", "template", "spec", "containers"]?.arrayValue?.first
        XCTAssertEqual(container?["command"], .array([.string("python"), .string("-m"), .string("shop.migrate")]))
        XCTAssertNil(container?["args"])
        XCTAssertEqual(container?["image"], .string("r/shop:1"))
        XCTAssertEqual(container?["envFrom"]?.arrayValue?.count, 1)
        XCTAssertNil(container?["ports"])

        var other = request
        other.image = "r/shop:2"
        let second = try TaskJob.document(other, deployment: deployment)
        XCTAssertEqual(second["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"], .string("r/shop:2"))
    }

    func testPodStates() throws {
        func pod(_ status: String) throws -> [JSONValue] {
            [try decode(#"{"metadata":{"name":"shop-run-x-1"},"spec":{"containers":[{"name":"shop"}]},"status":\#(status)}"#)]
        }
        XCTAssertEqual(TaskRules.state(pods: [], app: "shop"), .waiting)
        XCTAssertEqual(TaskRules.state(pods: try pod(#"{"containerStatuses":[{"name":"shop","state":{"waiting":{"reason":"ContainerCreating"}}}]}"#), app: "shop"), .waiting)
        XCTAssertEqual(TaskRules.state(pods: try pod(#"{"containerStatuses":[{"name":"shop","state":{"waiting":{"reason":"ImagePullBackOff","message":"no such image"}}}]}"#), app: "shop"),
                       .stuck("pod shop-run-x-1 is ImagePullBackOff (no such image)"), "a pull error may clear: deploy's grace")
        XCTAssertEqual(TaskRules.state(pods: try pod(#"{"containerStatuses":[{"name":"shop","state":{"waiting":{"reason":"InvalidImageName"}}}]}"#), app: "shop"),
                       .cannotStart("pod shop-run-x-1 is InvalidImageName"), "permanent: at once")
        XCTAssertEqual(TaskRules.state(pods: try pod(#"{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/1 nodes"}]}"#), app: "shop"),
                       .unschedulable("pod shop-run-x-1 is Unschedulable (0/1 nodes)"), "waits, as deploy does")
        XCTAssertEqual(TaskRules.state(pods: try pod(#"{"containerStatuses":[{"name":"shop","state":{"running":{}}}]}"#), app: "shop"),
                       .running(pod: "shop-run-x-1", container: "shop"))
        XCTAssertEqual(TaskRules.state(pods: try pod(#"{"phase":"Failed","containerStatuses":[{"name":"shop","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}"#), app: "shop"),
                       .terminated(pod: "shop-run-x-1", container: "shop", exitCode: 137, reason: "OOMKilled"))
    }

    func testTheJobControllersFailedCreateEventIsTheReason() {
        func event(_ reason: String, _ message: String, _ stamp: String) -> JSONValue {
            .object(["reason": .string(reason), "message": .string(message), "lastTimestamp": .string(stamp)])
        }
        let events = [
            event("SuccessfulCreate", "Created pod: x", "2026-12-02T01:00:00Z"),
            event("FailedCreate", "Error creating: old", "2026-12-02T01:00:01Z"),
            event("FailedCreate", #"Error creating: pods "shop-run-x" is forbidden: exceeded quota: pods"#, "2026-12-02T01:00:05Z"),
        ]
        XCTAssertEqual(TaskRules.createFailure(events: events),
                       #"FailedCreate: Error creating: pods "shop-run-x" is forbidden: exceeded quota: pods"#)
        XCTAssertNil(TaskRules.createFailure(events: [events[0]]))
    }
}
