#ifndef CSPAWN_H
#define CSPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in its own process group, with `in_fd`, `out_fd` and `err_fd`
/// as its stdin, stdout and stderr, every other descriptor closed on exec, the signal mask empty
/// and every signal's disposition the default. With `parent_death_signal` > 0 (Linux), the child gets
/// that signal when the thread that spawned it ends (prctl PR_SET_PDEATHSIG): call it from a thread
/// that lives as long as the process. Returns 0 and the pid in `pid_out`, or an errno value (the
/// child's, when chdir or exec failed).
int platform_spawn(pid_t *pid_out, const char *path, char *const argv[], char *const envp[],
                   const char *directory, int in_fd, int out_fd, int err_fd, int parent_death_signal);

/// pipe2(fds, O_CLOEXEC): 0, or an errno value.
int platform_pipe(int fds[2]);

/// waitpid for `pid`, retried after EINTR: the exit status (0-255), 128 + the signal that ended it,
/// or -1 when the pid is not a child.
int platform_wait(pid_t pid);

#endif
