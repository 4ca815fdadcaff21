import Foundation
import Hummingbird

/// Hand-written Prometheus metrics: a request counter by path and status code,
/// and the process start time. Rendered in text exposition format 0.0.4.
actor RequestMetrics {
    private let knownPaths: Set<String>
    private let startTime = Date().timeIntervalSince1970
    private var requests: [Key: Int] = [:]

    private struct Key: Hashable, Comparable {
        let path: String
        let code: Int
        static func < (a: Key, b: Key) -> Bool { (a.path, a.code) < (b.path, b.code) }
    }

    init(knownPaths: Set<String>) {
        self.knownPaths = knownPaths
    }

    /// Unknown paths are counted as "other" so that scanners cannot blow up the label set.
    func record(path: String, code: Int) {
        let label = knownPaths.contains(path) ? path : "other"
        requests[Key(path: label, code: code), default: 0] += 1
    }

    func render() -> String {
        var out = """
        # HELP http_requests_total Total HTTP requests by path and status code.
        # TYPE http_requests_total counter

        """
        for key in requests.keys.sorted() {
            out += "http_requests_total{path=\"\(key.path)\",code=\"\(key.code)\"} \(requests[key]!)\n"
        }
        out += """
        # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
        # TYPE process_start_time_seconds gauge
        process_start_time_seconds \(String(format: "%.3f", startTime))

        """
        return out
    }
}

/// Counts every request once its status is known (including errors such as 404).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        do {
            let response = try await next(request, context)
            await metrics.record(path: path, code: Int(response.status.code))
            return response
        } catch let error as HTTPResponseError {
            await metrics.record(path: path, code: Int(error.status.code))
            throw error
        } catch {
            await metrics.record(path: path, code: 500)
            throw error
        }
    }
}
