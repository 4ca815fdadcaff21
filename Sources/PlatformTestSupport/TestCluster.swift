import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PlatformCore

/// The project's Kubernetes test API server (Tests/KubeAPIServer/kube_apiserver.py), started for one
/// test on a free port with its own kubeconfig. It is a test fixture that plays a cluster for the real
/// kubectl; it is not a cluster.
public final class TestCluster: @unchecked Sendable {
    public let kubeconfig: String
    public private(set) var port: Int = 0
    private let process = Process()
    private let folder: String
    private let exited = DispatchSemaphore(value: 0)
    private var stopped = false

    /// Starts the server and waits for it to print its port.
    /// `serverArguments`: more options of kube_apiserver.py (e.g. `["--terminate-delay", "4"]`).
    public init(readyDelay: Double = 0.2, crds: [String] = [], logLines: Int? = nil, logBytes: Int? = nil,
                serverArguments: [String] = []) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("platform-cluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        kubeconfig = folder + "/kubeconfig"
        var arguments = [Repo.apiServer, "--port", "0", "--kubeconfig", kubeconfig, "--ready-delay", String(readyDelay), "--exit-with-parent"]
        for crd in crds { arguments += ["--crd", crd] }
        if let logLines { arguments += ["--log-lines", String(logLines)] }
        if let logBytes { arguments += ["--log-bytes", String(logBytes)] }
        arguments += serverArguments
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        _ = FileManager.default.createFile(atPath: folder + "/server.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: folder + "/server.log") ?? FileHandle.nullDevice
        try process.runWithDefaultSignalMask()
        // The first line is the port; read byte by byte so nothing after it is consumed.
        var line = Data()
        let handle = output.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 10 { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
            throw PlatformError.failed("test API server did not start: \(log)")
        }
        self.port = port
    }

    deinit { stop() }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        kill(process.processIdentifier, SIGTERM)
        if exited.wait(timeout: .now() + 5) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
        }
    }

    public func removeFiles() { try? FileManager.default.removeItem(atPath: folder) }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// The pinned reference the test server's kubelet reports (`containerStatuses[].imageID`) for a
    /// pod running `image`, as deploy records it: `REPOSITORY@sha256:` and the SHA-256 of the image
    /// string (workloads.py `image_id`; an image already pinned by digest reports itself).
    public static func pinned(_ image: String) -> String {
        if image.contains("@sha256:") { return image }
        return ImageDigest.pinned(image: image, digest: "sha256:" + SHA256.hex(Data(image.utf8)))
    }

    /// Environment for kubectl / platform runs against this server (merge into a Sandbox environment).
    public var environment: [String: String] { ["KUBECONFIG": kubeconfig] }

    /// Everything the server holds (`GET /_test/state`).
    public func state() throws -> JSONValue {
        try request("GET", "/_test/state")
    }

    /// The server's resourceVersion once its controllers have stopped writing (pods becoming ready,
    /// Deployment status): unchanged for `quiet` seconds, within `limit`. A "nothing changed"
    /// check compares against this, not against a moment when the kubelet was still at work.
    public func settledResourceVersion(quiet: Double = 1, limit: Double = 30) async throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(limit)
        var last = try state()["resourceVersion"]
        var since = Date()
        while Date() < deadline {
            try await Task.sleep(nanoseconds: 100_000_000)
            let now = try state()["resourceVersion"]
            if now != last {
                last = now
                since = Date()
            } else if Date().timeIntervalSince(since) >= quiet {
                return last
            }
        }
        return last
    }

    /// The objects of one kind (e.g. "Deployment") in a namespace, from the server's state.
    public func objects(kind: String, namespace: String? = nil) throws -> [JSONValue] {
        let all = try state()
        let items: [JSONValue] = all["objects"]?.arrayValue ?? all.arrayValue ?? []
        return items.filter {
            $0["kind"]?.stringValue == kind && (namespace == nil || $0["metadata", "namespace"]?.stringValue == namespace)
        }
    }

    public func object(kind: String, namespace: String?, name: String) throws -> JSONValue? {
        try objects(kind: kind, namespace: namespace).first { $0["metadata", "name"]?.stringValue == name }
    }

    /// The requests seen (`GET /_test/requests`): method, path, query, contentType.
    public func requests() throws -> [JSONValue] {
        let all = try request("GET", "/_test/requests")
        return all.arrayValue ?? all["requests"]?.arrayValue ?? []
    }

    public func enableCRD(_ name: String) throws {
        _ = try request("POST", "/_test/crds?name=\(name)")
    }

    /// Makes matching requests fail: e.g. method PATCH, prefix /apis/apps/v1, status 500, count -1 (forever).
    public func fault(method: String, pathPrefix: String, status: Int = 500, count: Int = -1) throws {
        let body = try JSONValue.object(["method": .string(method), "pathPrefix": .string(pathPrefix),
                                         "status": .number(Double(status)), "count": .number(Double(count))]).encoded()
        _ = try request("POST", "/_test/faults", body: body)
    }

    /// Makes requests to exactly `path` fail with 403 Forbidden, the way RBAC answers a user without
    /// the right (e.g. GET /api/v1/namespaces/dev for credentials scoped to that namespace).
    public func forbid(method: String, path: String, message: String) throws {
        let body = try JSONValue.object(["method": .string(method), "path": .string(path), "status": .number(403),
                                         "count": .number(-1), "reason": .string("Forbidden"),
                                         "message": .string(message)]).encoded()
        _ = try request("POST", "/_test/faults", body: body)
    }

    /// An aggregated API group (say metrics.k8s.io/v1beta1) that is listed but answers 503, as when
    /// the backend of its APIService is down.
    public func makeUnavailable(group: String, version: String = "v1beta1") throws {
        _ = try request("POST", "/_test/aggregated?group=\(group)&version=\(version)")
    }

    public func clearFaults() throws {
        _ = try request("DELETE", "/_test/faults")
    }

    public func deletePod(namespace: String, name: String) throws {
        _ = try request("POST", "/_test/pods/\(namespace)/\(name)/delete")
    }

    @discardableResult
    public func request(_ method: String, _ path: String, body: Data? = nil) throws -> JSONValue {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let semaphore = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var data: Data?; var error: Error? }
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, _, error in
            box.data = data
            box.error = error
            semaphore.signal()
        }.resume()
        semaphore.wait()
        if let error = box.error { throw error }
        guard let data = box.data, !data.isEmpty else { return .null }
        return (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .string(String(decoding: data, as: UTF8.self))
    }
}
