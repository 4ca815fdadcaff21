import Foundation
import Hummingbird
import Logging

let serviceName = "{{name}}"

/// The request counters both listeners share.
func makeMetrics() -> RequestMetrics {
    RequestMetrics(knownPaths: ["/", "/healthz"])
}

func makeLogger() -> Logger {
    var logger = Logger(label: serviceName)
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"]
        .flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    return logger
}

/// Builds the public application (no /metrics). Tests call this too and drive it in-process.
func buildApplication(host: String = "127.0.0.1", port: Int = 0, metrics: RequestMetrics = makeMetrics()) -> some ApplicationProtocol {
    let router = Router()
    router.add(middleware: MetricsMiddleware(metrics: metrics))

    router.get("/") { _, _ in
        jsonResponse(#"{"service":"\#(serviceName)","message":"hello from \#(serviceName)"}"#)
    }
    router.get("/healthz") { _, _ in
        jsonResponse(#"{"status":"ok"}"#)
    }

    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: serviceName),
        logger: makeLogger()
    )
}

/// The metrics listener: only GET /metrics, on its own port (METRICS_PORT), which the platform's
/// Service exposes to Prometheus as the port named "metrics" and no Ingress routes.
func buildMetricsApplication(host: String = "127.0.0.1", port: Int = 0, metrics: RequestMetrics) -> some ApplicationProtocol {
    let router = Router()
    router.get("/metrics") { _, _ in
        let text = await metrics.render()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: serviceName),
        logger: makeLogger()
    )
}

func jsonResponse(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: json))
    )
}
