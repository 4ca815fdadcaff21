import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One app's Terraform workspace in one environment: `STATE/workspaces/ENV/NAME/`, holding
/// `main.tf.json`, `.terraform/`, `terraform.tfstate`, `.platform-module.sha256` and `.platform.lock`.
public struct Workspace: Sendable, Equatable {
    public let stateDirectory: String
    public let environment: String
    public let name: String

    public static let moduleFile = "main.tf.json"
    public static let hashFile = ".platform-module.sha256"
    public static let lockFile = ".platform.lock"
    public static let stateFile = "terraform.tfstate"

    public init(stateDirectory: String, environment: String, name: String) {
        self.stateDirectory = stateDirectory
        self.environment = environment
        self.name = name
    }

    public var path: String { stateDirectory + "/workspaces/" + environment + "/" + name }
    public var modulePath: String { path + "/" + Self.moduleFile }
    public var statePath: String { path + "/" + Self.stateFile }

    public var exists: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Creates the workspace (and `workspaces/ENV`) private to the user, 0700: Terraform writes
    /// secrets into state. An existing workspace from an older release is tightened too.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw PlatformError.failed("could not create the workspace \(path): \(error.localizedDescription)")
        }
        let environmentFolder = (path as NSString).deletingLastPathComponent
        for folder in [(environmentFolder as NSString).deletingLastPathComponent, environmentFolder, path] {
            _ = chmod(folder, 0o700)
        }
    }

    /// The files that may hold secrets: state, its backup, and plans.
    public static func isPrivateFile(_ name: String) -> Bool {
        name.hasPrefix(stateFile) || name.hasSuffix(".tfplan") || name == lockFile || name == moduleFile
    }

    /// Makes the state, state backup and plan files in `folder` 0600 (Terraform creates them 0644
    /// under the usual umask). Called after every Terraform run that can write them.
    public static func protectFiles(in folder: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where isPrivateFile(name) {
            _ = chmod(folder + "/" + name, 0o600)
        }
    }

    /// Writes the generated root module when it differs; returns whether the file changed.
    @discardableResult
    public func writeModule(_ data: Data) throws -> Bool {
        if FileManager.default.contents(atPath: modulePath) == data { return false }
        try atomicWrite(data, to: modulePath)
        return true
    }

    /// The hash recorded after the last successful `terraform init`.
    public var recordedHash: String? {
        FileManager.default.contents(atPath: path + "/" + Self.hashFile)
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    public func recordHash(_ hash: String) throws {
        try atomicWrite(Data((hash + "\n").utf8), to: path + "/" + Self.hashFile)
    }

    /// Whether `terraform init` already ran for exactly this module.
    public func isInitialized(for hash: String) -> Bool {
        recordedHash == hash && FileManager.default.fileExists(atPath: path + "/.terraform")
    }

    /// Takes the workspace's own lock (an advisory `flock`, released when the process ends, so it is
    /// never stale). Waits up to `timeout` seconds while another run holds it, telling the reporter who.
    public func lock(timeout: Double, reporter: ProgressReporter,
                     signals: SignalForwarder? = nil) async throws -> WorkspaceLock {
        try create()
        let lockPath = path + "/" + Self.lockFile
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PlatformError.failed("could not open the lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        let started = Date()
        var told = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw PlatformError.failed("could not lock \(lockPath): \(reason)")
            }
            if let signals, let signal = signals.receivedSignal {
                close(fd)
                throw PlatformError.interrupted(signal: signal)
            }
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if Date().timeIntervalSince(started) >= timeout {
                close(fd)
                throw PlatformError.failed(
                    "workspace \(environment)/\(name) is locked by another platform run\(holder.isEmpty ? "" : " (\(holder))"); try again when it has finished")
            }
            if !told {
                reporter.progress("Waiting for workspace \(environment)/\(name), locked by another platform run\(holder.isEmpty ? "" : " (\(holder))")")
                told = true
            }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        ftruncate(fd, 0)
        let note = "pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = note.withCString { write(fd, $0, strlen($0)) }
        return WorkspaceLock(fd: fd)
    }

    private func atomicWrite(_ data: Data, to file: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: file), options: .atomic)
            _ = chmod(file, 0o600)
        } catch {
            throw PlatformError.failed("could not write \(file): \(error.localizedDescription)")
        }
    }
}
