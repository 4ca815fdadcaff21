import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds tools on PATH once per name.
public final class ToolLocator: @unchecked Sendable {
    private let searchPath: [String]
    private let lock = NSLock()
    private var cache: [String: String] = [:]

    public init(path: String?) {
        searchPath = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
    }

    /// How to get each tool the platform runs, for the "not found" message.
    public static func installHint(for tool: String) -> String {
        switch tool {
        case "kubectl": return "install kubectl (https://kubernetes.io/docs/tasks/tools/) or run 'scripts/install-tools.sh' in a platform checkout"
        case "terraform": return "install Terraform >= 1.5 or run 'scripts/install-tools.sh' in a platform checkout"
        case "git": return "install git (e.g. 'apt-get install git')"
        default: return "install \(tool) and make sure it is on PATH"
        }
    }

    public func locate(_ tool: String) throws -> String {
        if tool.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                throw PlatformError.toolMissing(tool: tool, hint: Self.installHint(for: tool))
            }
            return tool
        }
        lock.lock()
        defer { lock.unlock() }
        if let found = cache[tool] { return found }
        for directory in searchPath where !directory.isEmpty {
            let candidate = directory + "/" + tool
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                cache[tool] = candidate
                return candidate
            }
        }
        throw PlatformError.toolMissing(tool: tool, hint: Self.installHint(for: tool))
    }
}
