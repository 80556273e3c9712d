// Async-signal-safe steps that undo, before an exec, what Node did to the process
// (research/fork-in-node.md section 5; libuv's uv__process_child_init is the model).
// Only async-signal-safe calls: these run between fork and exec (signal-safety(7)).
#ifndef UNIXPROC_CHILD_SETUP_H
#define UNIXPROC_CHILD_SETUP_H

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

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

}  // namespace unixproc

#endif  // UNIXPROC_CHILD_SETUP_H
