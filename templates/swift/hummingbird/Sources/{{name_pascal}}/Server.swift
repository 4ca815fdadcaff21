import Foundation
import Hummingbird

/// Entry point: listens on $PORT if set, else on {{port}}.
@main
struct Server {
    static func main() async throws {
        let env = ProcessInfo.processInfo.environment
        let port = env["PORT"].flatMap(Int.init) ?? {{port}}
        let app = buildApplication(host: "0.0.0.0", port: port)
        try await app.runService()
    }
}
