import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole writes to a file descriptor: the one loop that retries after EINTR and short writes (a
/// child's stdin, scaffolded files, the event log, the CLI's stdout and stderr).
public enum FileDescriptorIO {
    /// Writes every byte of `data` to `fd`. Returns 0, or the errno of the write that failed (the
    /// bytes before it were written).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ data: Data) -> Int32 {
        data.withUnsafeBytes { raw in
            guard var pointer = raw.baseAddress else { return 0 }
            var remaining = raw.count
            while remaining > 0 {
                let written = write(fd, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                pointer += written
                remaining -= written
            }
            return 0
        }
    }
}
