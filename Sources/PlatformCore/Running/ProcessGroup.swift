import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process group a child led (`setpgid(0, 0)` in `platform_spawn`). Once the child is reaped, only
/// what it left behind can still be in it: terraform's local-exec shell's children, say.
struct ProcessGroup: Sendable, Equatable {
    let id: pid_t

    func signal(_ sig: Int32) {
        kill(-id, sig)
    }

    /// Whether a member still runs. `kill(-id, 0)` alone cannot tell: it also succeeds for a member
    /// that has exited but is not yet reaped (an orphan's new parent may never reap it; PID 1 of a
    /// container often does not), so on Linux the members' states are read from /proc.
    var hasLiveMembers: Bool {
        guard kill(-id, 0) == 0 else { return false }
        #if os(Linux)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.contains { entry in
            guard pid_t(entry) != nil,
                  let stat = FileManager.default.contents(atPath: "/proc/\(entry)/stat") else { return false }
            return Self.isLiveMember(stat: String(decoding: stat, as: UTF8.self), of: id)
        }
        #else
        return true
        #endif
    }

    /// Whether a /proc/PID/stat line ("pid (comm) state ppid pgrp ...") is of a running process
    /// (not a zombie, not dead) in group `group`. The command name may hold spaces and parentheses,
    /// so the fields are counted from the last ")".
    static func isLiveMember(stat: String, of group: pid_t) -> Bool {
        guard let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let pgrp = pid_t(fields[2]) else { return false }
        return pgrp == group && fields[0] != "Z" && fields[0] != "X"
    }

    /// Waits (polling every 20 ms) until no member runs; false if one still does after `seconds`.
    func waitUntilEmpty(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while hasLiveMembers {
            if Date() >= deadline { return false }
            usleep(20_000)
        }
        return true
    }
}
