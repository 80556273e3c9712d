// Python's os fd calls (Modules/posixmodule.c): pipe, pipe2, dup, dup2, close, closerange,
// read, write, openpty, login_tty, isatty, ttyname.
// Man pages: pipe(2), dup(2), close(2), close_range(2), read(2), write(2), fcntl(2),
// posix_openpt(3), grantpt(3), unlockpt(3), ptsname(3), login_tty(3), isatty(3),
// ttyname(3), setsid(2), ioctl_tty(2) TIOCSCTTY.
//
// Every fd made here is close-on-exec (PEP 446) unless the caller asks otherwise
// (pipe2 without O_CLOEXEC, dup2 with inheritable): it is made so atomically (O_CLOEXEC,
// F_DUPFD_CLOEXEC, dup3), never with a later fcntl that a concurrent fork could beat.
// EINTR: read and write are retried (PEP 475); close is not (on Linux the fd is released
// even when close fails with EINTR, and a retry could close an fd another thread just got).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <climits>

#include "addon.h"

namespace unixproc {

// pipe2(flags) -> [read end, write end], or -errno.
static Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  int flags = 0;
  if (!ToInt(info[0], &flags)) return NegErrno(info.Env(), EINVAL);
  int fds[2];
  if (pipe2(fds, flags) != 0) return NegErrno(info.Env(), errno);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  out.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return out;
}

// dup(fd) -> new fd (close-on-exec, the lowest free number), or -errno.
static Napi::Value Dup(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd)) return NegErrno(info.Env(), EINVAL);
  int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), r);
}

// dup2(fd, fd2, inheritable) -> fd2, or -errno. Not inheritable: dup3(O_CLOEXEC), which
// fails with EINVAL when fd == fd2, as CPython's os.dup2(fd, fd, inheritable=False) does.
static Napi::Value Dup2(const Napi::CallbackInfo& info) {
  int fd = -1, fd2 = -1;
  bool inheritable = true;
  if (!ToInt(info[0], &fd) || !ToInt(info[1], &fd2) || !ToBool(info[2], &inheritable)) {
    return NegErrno(info.Env(), EINVAL);
  }
  int r = RetryEintr([&] { return inheritable ? dup2(fd, fd2) : dup3(fd, fd2, O_CLOEXEC); });
  if (r < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), r);
}

// close(fd) -> 0 or -errno (EINTR counts as closed, see the header).
static Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd)) return NegErrno(info.Env(), EINVAL);
  if (close(fd) != 0 && errno != EINTR) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// closerange(low, high) closes every fd in [low, high), ignoring errors, as CPython:
// close_range(2) where the kernel has it (5.9), else one close per fd.
static Napi::Value CloseRange(const Napi::CallbackInfo& info) {
  int low = 0, high = 0;
  if (!ToInt(info[0], &low) || !ToInt(info[1], &high)) return NegErrno(info.Env(), EINVAL);
  if (low < 0) low = 0;
  if (high <= low) return Napi::Number::New(info.Env(), 0);
#ifdef SYS_close_range
  if (syscall(SYS_close_range, static_cast<unsigned>(low), static_cast<unsigned>(high - 1), 0u) == 0) {
    return Napi::Number::New(info.Env(), 0);
  }
#endif
  long max = sysconf(_SC_OPEN_MAX);
  int end = (max > 0 && max < high) ? static_cast<int>(max) : high;
  for (int fd = low; fd < end; fd++) close(fd);
  return Napi::Number::New(info.Env(), 0);
}

// readInto(fd, buffer) -> bytes read (0 at end of file), or -errno.
static Napi::Value ReadInto(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd) || !info[1].IsBuffer()) return NegErrno(info.Env(), EINVAL);
  Napi::Buffer<char> buffer = info[1].As<Napi::Buffer<char>>();
  char* data = buffer.Data();
  size_t length = buffer.Length();
  ssize_t n = RetryEintr([&] { return read(fd, data, length); });
  if (n < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// write(fd, buffer) -> bytes written (possibly fewer than given), or -errno.
static Napi::Value Write(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd) || !info[1].IsBuffer()) return NegErrno(info.Env(), EINVAL);
  Napi::Buffer<char> buffer = info[1].As<Napi::Buffer<char>>();
  const char* data = buffer.Data();
  size_t length = buffer.Length();
  ssize_t n = RetryEintr([&] { return write(fd, data, length); });
  if (n < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// openpty() -> [master, slave], both close-on-exec, or -errno. Built from posix_openpt
// rather than openpty(3), so that both ends are O_CLOEXEC from the start and no libutil
// is needed; neither becomes the caller's controlling terminal (O_NOCTTY).
static Napi::Value OpenPty(const Napi::CallbackInfo& info) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return NegErrno(info.Env(), errno);
  char name[PATH_MAX];
  int err = 0;
  if (grantpt(master) != 0 || unlockpt(master) != 0) {
    err = errno;
  } else if ((err = ptsname_r(master, name, sizeof name)) != 0) {
    // ptsname_r returns the error number
  }
  if (err != 0) {
    close(master);
    return NegErrno(info.Env(), err);
  }
  int slave = RetryEintr([&] { return open(name, O_RDWR | O_NOCTTY | O_CLOEXEC); });
  if (slave < 0) {
    err = errno;
    close(master);
    return NegErrno(info.Env(), err);
  }
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), master));
  out.Set(1u, Napi::Number::New(info.Env(), slave));
  return out;
}

// loginTty(fd) -> 0 or -errno: login_tty(3) step by step, so the failing step's errno is
// the one reported: a new session, fd as its controlling terminal, fd on 0..2, fd closed.
static Napi::Value LoginTty(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd)) return NegErrno(info.Env(), EINVAL);
  if (fcntl(fd, F_GETFD) < 0) return NegErrno(info.Env(), errno);
  if (setsid() < 0) return NegErrno(info.Env(), errno);
  if (ioctl(fd, TIOCSCTTY, 0) < 0) return NegErrno(info.Env(), errno);
  for (int target = 0; target < 3; target++) {
    if (RetryEintr([&] { return dup2(fd, target); }) < 0) return NegErrno(info.Env(), errno);
  }
  if (fd > 2) close(fd);
  return Napi::Number::New(info.Env(), 0);
}

// isatty(fd) -> true / false (never an error, as Python's os.isatty).
static Napi::Value IsAtty(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd)) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), isatty(fd) == 1);
}

// ttyname(fd) -> the terminal's path, or -errno.
static Napi::Value TtyName(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd)) return NegErrno(info.Env(), EINVAL);
  char name[PATH_MAX];
  int err = ttyname_r(fd, name, sizeof name);
  if (err != 0) return NegErrno(info.Env(), err);
  return Napi::String::New(info.Env(), name);
}

void InitFd(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "pipe2", Pipe2);
  Export(env, exports, "dup", Dup);
  Export(env, exports, "dup2", Dup2);
  Export(env, exports, "close", Close);
  Export(env, exports, "closerange", CloseRange);
  Export(env, exports, "readInto", ReadInto);
  Export(env, exports, "write", Write);
  Export(env, exports, "openpty", OpenPty);
  Export(env, exports, "loginTty", LoginTty);
  Export(env, exports, "isatty", IsAtty);
  Export(env, exports, "ttyname", TtyName);
  exports.Set("O_CLOEXEC", Napi::Number::New(env, O_CLOEXEC));
  exports.Set("O_NONBLOCK", Napi::Number::New(env, O_NONBLOCK));
  exports.Set("O_DIRECT", Napi::Number::New(env, O_DIRECT));
}

}  // namespace unixproc
