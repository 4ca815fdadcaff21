import Foundation

/// Splits a byte stream into whole lines (newline kept), so concurrent writers never tear a line.
public struct LineSplitter: Sendable {
    private var pending = Data()

    public init() {}

    /// Returns the complete lines in `chunk` (each ending in "\n"); keeps the rest for later.
    public mutating func feed(_ chunk: Data) -> [Data] {
        var lines: [Data] = []
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if pending.isEmpty {
                lines.append(chunk[start...newline])
            } else {
                pending.append(chunk[start...newline])
                lines.append(pending)
                pending = Data()
            }
            start = chunk.index(after: newline)
        }
        if start < chunk.endIndex { pending.append(chunk[start...]) }
        return lines
    }

    /// What is left when the stream ends (a last line without newline gets one).
    public mutating func finish() -> Data? {
        guard !pending.isEmpty else { return nil }
        var last = pending
        last.append(UInt8(ascii: "\n"))
        pending = Data()
        return last
    }
}
