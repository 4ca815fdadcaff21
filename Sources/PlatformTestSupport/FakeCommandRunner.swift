import Foundation
import PlatformCore

/// A scripted `CommandRunner` for unit tests: an ordered list of expected argv arrays (exact match),
/// each with a canned result. Unexpected or out-of-order calls fail; `verify()` checks all happened.
public final class FakeCommandRunner: CommandRunner, @unchecked Sendable {
    public struct Expectation: Sendable {
        public var argv: [String]
        public var result: CommandResult
        /// When set, the call's stdin must equal this.
        public var input: Data?
        public var checkInput: (@Sendable (Data?) -> Void)?

        public init(_ argv: [String], result: CommandResult = CommandResult(), input: Data? = nil,
                    checkInput: (@Sendable (Data?) -> Void)? = nil) {
            self.argv = argv
            self.result = result
            self.input = input
            self.checkInput = checkInput
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let lock = NSLock()
    private var expectations: [Expectation]
    public private(set) var calls: [Command] = []
    public private(set) var failures: [String] = []

    /// Tools `locate` reports as missing (exit 69); every other tool is found at /fake/bin/TOOL.
    public var missingTools: Set<String>

    public init(_ expectations: [Expectation] = [], missingTools: Set<String> = []) {
        self.expectations = expectations
        self.missingTools = missingTools
    }

    public func locate(_ tool: String) throws -> String {
        guard !missingTools.contains(tool) else {
            throw PlatformError.toolMissing(tool: tool, hint: ToolLocator.installHint(for: tool))
        }
        return "/fake/bin/" + tool
    }

    public func expect(_ argv: [String], result: CommandResult = CommandResult()) {
        lock.lock()
        expectations.append(Expectation(argv, result: result))
        lock.unlock()
    }

    private func next(_ command: Command) throws -> Expectation {
        lock.lock()
        defer { lock.unlock() }
        calls.append(command)
        guard !expectations.isEmpty else {
            let message = "unexpected call: \(command.argv)"
            failures.append(message)
            throw Failure(description: message)
        }
        let expected = expectations.removeFirst()
        guard expected.argv == command.argv else {
            let message = "expected \(expected.argv)\n     got \(command.argv)"
            failures.append(message)
            throw Failure(description: message)
        }
        if let input = expected.input, input != command.input {
            let message = "stdin of \(command.argv) differs from the expected document"
            failures.append(message)
            throw Failure(description: message)
        }
        expected.checkInput?(command.input)
        return expected
    }

    public func capture(_ command: Command, limit: Int) async throws -> CommandResult {
        try next(command).result
    }

    public func stream(_ command: Command, stdout: OutputTarget, stderr: OutputTarget) async throws -> Int32 {
        let result = try next(command).result
        if case .chunks(let consume) = stdout, !result.stdout.isEmpty { consume(result.stdout) }
        if case .chunks(let consume) = stderr, !result.stderr.isEmpty { consume(result.stderr) }
        return result.status
    }

    /// Every expectation was used and no call went wrong; returns the problems (empty when fine).
    public func unmet() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return failures + expectations.map { "expected call never happened: \($0.argv)" }
    }
}
