// Async-signal-safe steps that undo, before an exec, what Node did to the process
// (docs/research/fork-in-node.md section 5; libuv's uv__process_child_init is the model).
// Only async-signal-safe calls: these run between fork and exec (signal-safety(7)).
#ifndef UNIXPROC_CHILD_SETUP_H
#define UNIXPROC_CHILD_SETUP_H

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

// close_range(2) (Linux 5.9; CLOSE_RANGE_CLOEXEC since 5.11), for older headers.
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace unixproc {

// Every catchable signal back to SIG_DFL: Node ignores SIGPIPE and SIGXFSZ, and SIG_IGN
// survives exec (execve(2)); installed handlers would be reset by exec anyway, but a
// forked child must not run the parent's handlers before exec either.
inline void ResetSignalDispositions() {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &sa, nullptr);  // EINVAL for glibc's internal signals: harmless
  }
}

// The signal mask survives exec (execve(2)); the new program starts with none blocked.
inline void UnblockAllSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// libuv marks 0..2 FD_CLOEXEC at start-up; an exec'd program must get them.
inline int ClearCloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return -1;
  if (!(flags & FD_CLOEXEC)) return 0;
  return fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

// O_NONBLOCK lives on the open file description, shared with the parent: libuv clears
// it on the child's stdio the same way (programs like cat fail with EAGAIN otherwise).
inline int SetBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
  if (!(flags & O_NONBLOCK)) return 0;
  return fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

// execvpe semantics (glibc's posix/execvpe.c, CPython's _posixsubprocess): try each
// candidate path; remember EACCES; move on for ENOENT/ENOTDIR and the like; stop at any
// other error. Returns only on failure, with the errno to report (EACCES when a candidate
// was found but not executable and the rest were missing). `exec(path, argv, envp)` returns
// the errno of a failed execve: errno here, the system call's own value in the shepherd
// (native/nolibc.h), which has no C library.
template <typename Exec>
inline int ExecCandidatesWith(Exec exec, const char* const* candidates, size_t count, char* const* argv,
                              char* const* envp) {
  int err = ENOENT;
  bool saw_eacces = false;
  for (size_t i = 0; i < count; i++) {
    err = exec(candidates[i], argv, envp);
    if (err == EACCES) {
      saw_eacces = true;
      continue;
    }
    if (err == ENOENT || err == ENOTDIR || err == ESTALE || err == ENODEV ||
        err == ETIMEDOUT || err == ELOOP || err == ENAMETOOLONG) {
      continue;
    }
    break;
  }
  if (saw_eacces && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  return err;
}

inline int ExecCandidates(const char* const* candidates, size_t count, char* const* argv, char* const* envp) {
  return ExecCandidatesWith(
      [](const char* path, char* const* a, char* const* e) {
        execve(path, a, e);
        return errno;
      },
      candidates, count, argv, envp);
}

}  // namespace unixproc

#endif  // UNIXPROC_CHILD_SETUP_H
