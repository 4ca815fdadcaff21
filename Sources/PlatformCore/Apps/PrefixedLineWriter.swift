import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes whole prefixed lines from any number of concurrent streams. Each chunk a stream reads
/// becomes one write of its complete lines (prefixed), so lines are never torn or interleaved and a
/// large log costs one write per chunk, not one per line.
public final class PrefixedLineWriter: @unchecked Sendable {
    private let lock = NSLock()
    private let output: @Sendable (Data) -> Void
    private let grep: Data?
    private var count = 0

    public init(grep: String?, output: @escaping @Sendable (Data) -> Void) {
        self.grep = grep.flatMap { $0.isEmpty ? nil : Data($0.utf8) }
        self.output = output
    }

    /// Lines written so far.
    public var linesWritten: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    /// `line` ends in "\n"; it is written as `prefix + line` in one piece, or dropped by the filter.
    public func write(prefix: String, line: Data) {
        var block = Data()
        let lines = append(line, prefix: Data(prefix.utf8), to: &block)
        emit(block, lines: lines)
    }

    /// A chunk consumer for one stream: the complete lines of each chunk go out in one write; a
    /// partial last line waits for the next chunk (or the end of the stream).
    public func consumer(prefix: String) -> (consume: @Sendable (Data) -> Void, finish: @Sendable () -> Void) {
        let pending = PendingLine()
        let prefixBytes = Data(prefix.utf8)
        return ({ [self] chunk in
            var block = Data()
            block.reserveCapacity(chunk.count + chunk.count / 16 * prefixBytes.count + prefixBytes.count)
            var lines = 0
            pending.withPending { carried in
                chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                    guard let base = raw.baseAddress else { return }
                    var start = 0
                    while start < raw.count, let found = memchr(base + start, 0x0A, raw.count - start) {
                        let next = base.distance(to: UnsafeRawPointer(found)) + 1
                        let line = UnsafeRawBufferPointer(rebasing: raw[start..<next])
                        if carried.isEmpty {
                            lines += append(line, prefix: prefixBytes, to: &block)
                        } else {
                            carried.append(contentsOf: line)
                            lines += append(carried, prefix: prefixBytes, to: &block)
                            carried = Data()
                        }
                        start = next
                    }
                    if start < raw.count { carried.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start...])) }
                }
            }
            emit(block, lines: lines)
        }, { [self] in
            var block = Data()
            var lines = 0
            pending.withPending { carried in
                guard !carried.isEmpty else { return }
                carried.append(UInt8(ascii: "\n"))
                lines = append(carried, prefix: prefixBytes, to: &block)
                carried = Data()
            }
            emit(block, lines: lines)
        })
    }

    /// Appends `prefix + line` unless the filter drops it; returns 1 when appended.
    private func append(_ line: UnsafeRawBufferPointer, prefix: Data, to block: inout Data) -> Int {
        if let grep {
            guard Data(line).range(of: grep) != nil else { return 0 }
        }
        block.append(prefix)
        block.append(line.bindMemory(to: UInt8.self))
        return 1
    }

    private func append(_ line: Data, prefix: Data, to block: inout Data) -> Int {
        line.withUnsafeBytes { append($0, prefix: prefix, to: &block) }
    }

    private func emit(_ block: Data, lines: Int) {
        guard lines > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        count += lines
        output(block)
    }
}

/// The unfinished last line of one stream, between its chunks.
final class PendingLine: @unchecked Sendable {
    private let lock = NSLock()
    private var carried = Data()

    func withPending(_ body: (inout Data) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&carried)
    }
}
