#define _GNU_SOURCE
#include "CSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static void report_and_exit(int fd) {
    int error = errno;
    ssize_t ignored = write(fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

int platform_spawn(pid_t *pid_out, const char *path, char *const argv[], char *const envp[],
                   const char *directory, int in_fd, int out_fd, int err_fd, int parent_death_signal) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(report[0]);
        close(report[1]);
        return error;
    }
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        // Caught signals are reset to the default by exec; ignored ones stay ignored (as with
        // posix_spawn and Foundation's Process).
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
#ifdef __linux__
        if (parent_death_signal > 0) {
            if (prctl(PR_SET_PDEATHSIG, parent_death_signal) != 0) report_and_exit(report[1]);
            // The parent may have died before prctl: then nobody would send the signal.
            if (getppid() != parent) _exit(127);
        }
#endif
        setpgid(0, 0);
        // Copy the three above 2 first, so that one target cannot overwrite another's source.
        int in = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
        int out = fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
        int err = fcntl(err_fd, F_DUPFD_CLOEXEC, 3);
        if (in < 0 || out < 0 || err < 0) report_and_exit(report[1]);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) report_and_exit(report[1]);
        if (directory != NULL && chdir(directory) != 0) report_and_exit(report[1]);
#if defined(__linux__) && defined(SYS_close_range)
        // Everything above 2 closes on exec, whoever opened it without O_CLOEXEC (Linux 5.11+).
        syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
#endif
        execve(path, argv, envp);
        report_and_exit(report[1]);
    }
    close(report[1]);
    int child_error = 0;
    ssize_t count;
    do {
        count = read(report[0], &child_error, sizeof child_error);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof child_error) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return child_error;
    }
    *pid_out = pid;
    return 0;
}

int platform_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}

int platform_wait(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}
