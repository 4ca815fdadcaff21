import Foundation

/// Hands the lines of a task's output, as they arrive from one reader thread, to a reporter one by
/// one (deploy's release command shows its output as progress lines, stdout being deploy's result).
public final class TaskOutputLines: @unchecked Sendable {
    private let lock = NSLock()
    private var splitter = LineSplitter()
    private let line: @Sendable (String) -> Void

    public init(_ line: @escaping @Sendable (String) -> Void) {
        self.line = line
    }

    /// The output target that feeds it.
    public var target: OutputTarget {
        .chunks { [self] chunk in feed(chunk) }
    }

    func feed(_ chunk: Data) {
        let lines = lock.withLock { splitter.feed(chunk) }
        for data in lines { line(Self.text(data)) }
    }

    /// Passes on a last line that had no newline.
    public func finish() {
        if let data = lock.withLock({ splitter.finish() }) { line(Self.text(data)) }
    }

    static func text(_ data: Data) -> String {
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
