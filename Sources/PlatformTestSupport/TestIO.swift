import Foundation
import PlatformCore
import PlatformCLI

/// A sink that keeps what was written, for asserting which stream got what.
public final class BufferSink: TextSink, @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    public init() {}

    public func write(_ text: String) { write(Data(text.utf8)) }

    public func write(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        lock.unlock()
    }

    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Test IO: buffers for stdout and stderr, TTY flags as the test wants.
public struct TestIO: Sendable {
    public let stdout = BufferSink()
    public let stderr = BufferSink()
    public var streams: IOStreams

    public init(tty: Bool = false, answers: [String] = []) {
        let queue = AnswerQueue(answers)
        streams = IOStreams(stdout: stdout, stderr: stderr, stdinIsTTY: tty, stdoutIsTTY: tty, stderrIsTTY: tty,
                            readLine: { queue.next() })
    }
}

final class AnswerQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String]

    init(_ answers: [String]) { self.answers = answers }

    func next() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return answers.isEmpty ? nil : answers.removeFirst()
    }
}

/// The result of an in-process CLI run.
public struct CLIRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the CLI in-process with test IO.
public func runCLI(_ arguments: [String], environment: [String: String] = [:], directory: String = "/tmp",
                   runner: (any PlatformCore.CommandRunner)? = nil, tty: Bool = false) async -> CLIRun {
    let io = TestIO(tty: tty)
    var env = environment
    if env["PATH"] == nil { env["PATH"] = ProcessInfo.processInfo.environment["PATH"] }
    let status = await PlatformCLI.run(arguments: arguments, io: io.streams, environment: env,
                                       currentDirectory: directory, runner: runner)
    return CLIRun(status: status, stdout: io.stdout.text, stderr: io.stderr.text)
}
