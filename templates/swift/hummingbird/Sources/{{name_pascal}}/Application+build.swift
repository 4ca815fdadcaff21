import Foundation
import Hummingbird
import Logging

let serviceName = "{{name}}"

/// Builds the application. Tests call this too and drive it in-process.
func buildApplication(host: String = "127.0.0.1", port: Int = 0) -> some ApplicationProtocol {
    var logger = Logger(label: serviceName)
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"]
        .flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info

    let metrics = RequestMetrics(knownPaths: ["/", "/healthz", "/metrics"])
    let router = Router()
    router.add(middleware: MetricsMiddleware(metrics: metrics))

    router.get("/") { _, _ in
        jsonResponse(#"{"service":"\#(serviceName)","message":"hello from \#(serviceName)"}"#)
    }
    router.get("/healthz") { _, _ in
        jsonResponse(#"{"status":"ok"}"#)
    }
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
        logger: logger
    )
}

func jsonResponse(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: json))
    )
}
