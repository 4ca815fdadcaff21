import CSpawn
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts children with fork/exec (`platform_spawn`) from one thread that lives as long as the
/// process, so that on Linux every child gets `PR_SET_PDEATHSIG`: when platform dies, even by
/// SIGKILL, the kernel sends the child SIGTERM (issue 11 item 13; docs/architecture.md).
/// Foundation's `Process` cannot set it, and the death signal fires when the *thread* that forked
/// ends, so spawning from a short-lived thread or a pool thread would kill children at random.
/// SIGTERM, not SIGKILL: terraform and kubectl stop on it, and terraform saves its state first.
final class ChildSpawner: @unchecked Sendable {
    /// The one spawning thread of the process (a thread, like Dispatch's, not state of a command).
    static let shared = ChildSpawner()

    static let parentDeathSignal = SIGTERM

    private let lock = NSCondition()
    private var work: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "platform.spawner"
        thread.start()
    }

    private func serve() {
        while true {
            lock.lock()
            while work.isEmpty { lock.wait() }
            let next = work.removeFirst()
            lock.unlock()
            next()
        }
    }

    /// Starts `path` and returns its pid; throws the errno of a failed fork, chdir or exec.
    func spawn(path: String, arguments: [String], environment: [String: String], directory: String?,
               stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        final class Result: @unchecked Sendable {
            var pid: pid_t = 0
            var error: Int32 = 0
        }
        let result = Result()
        let done = DispatchSemaphore(value: 0)
        let argv = [path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        lock.lock()
        work.append {
            withCStrings(argv) { cArgv in
                withCStrings(envp) { cEnvp in
                    var pid: pid_t = 0
                    result.error = platform_spawn(&pid, path, cArgv, cEnvp, directory, stdin, stdout, stderr,
                                                  Self.parentDeathSignal)
                    result.pid = pid
                }
            }
            done.signal()
        }
        lock.signal()
        lock.unlock()
        done.wait()
        if result.error != 0 {
            throw PlatformError.failed("could not start \(path): \(String(cString: strerror(result.error)))")
        }
        return result.pid
    }
}

/// A NULL-terminated C array of the strings, valid inside `body`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
