import Foundation
import Hummingbird
#if canImport(Glibc)
import Glibc
#endif

/// Entry point: listens on $PORT if set, else on {{port}}, and serves /metrics on $METRICS_PORT
/// (default 9090). `--healthcheck` probes /healthz of a running instance (the container HEALTHCHECK;
/// the runtime image has no curl).
@main
struct Server {
    static func main() async throws {
        let env = ProcessInfo.processInfo.environment
        let port = env["PORT"].flatMap(Int.init) ?? {{port}}
        let metricsPort = env["METRICS_PORT"].flatMap(Int.init) ?? 9090
        if CommandLine.arguments.dropFirst().first == "--healthcheck" {
            exit(healthcheck(port: port) ? 0 : 1)
        }
        let metrics = makeMetrics()
        let app = buildApplication(host: "0.0.0.0", port: port, metrics: metrics)
        let metricsApp = buildMetricsApplication(host: "0.0.0.0", port: metricsPort, metrics: metrics)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            group.addTask { try await metricsApp.runService() }
            try await group.waitForAll()
        }
    }

    /// GET /healthz on 127.0.0.1 over a plain socket; true for a 200 answer.
    static func healthcheck(port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let request = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        guard request.withCString({ write(fd, $0, strlen($0)) }) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return false }
        return String(decoding: buffer[..<count], as: UTF8.self).hasPrefix("HTTP/1.1 200") ||
            String(decoding: buffer[..<count], as: UTF8.self).hasPrefix("HTTP/1.0 200")
        #else
        return false
        #endif
    }
}
