// Process file descriptors: pidfd_open(2) (Linux 5.3) and pidfd_send_signal(2) (5.1),
// poll(2) on one (has its process exited?), and close(2) for them (closeFd).
// A pidfd refers to one process, not to a pid number, so a signal sent through it can
// never reach a process that later reuses the pid. Called through syscall(2): glibc 2.36
// has wrappers, but older libcs do not.
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "addon.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

namespace unixproc {

// pidfdOpen(pid, flags) -> fd (O_CLOEXEC is implied by the kernel).
static Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  pid_t pid = 0;
  int flagBits = 0;
  if (!ArgInt(info, 0, &pid) || !ArgInt(info, 1, &flagBits)) return NegErrno(info.Env(), EINVAL);
  unsigned int flags = static_cast<unsigned int>(flagBits);
  long fd = syscall(SYS_pidfd_open, pid, flags);
  if (fd < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// pidfdSendSignal(pidfd, sig) -> 0. ESRCH once the process has been reaped; a zombie (exited,
// not reaped) still accepts signals: pidfdExited tells the two apart.
static Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  int pidfd = 0, sig = 0;
  if (!ArgInt(info, 0, &pidfd) || !ArgInt(info, 1, &sig)) return NegErrno(info.Env(), EINVAL);
  long r = syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
  if (r < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// pidfdExited(pidfd) -> 1 when the process has exited (zombie or reaped), 0 while it runs.
// A pidfd polls readable once its whole thread group has exited (pidfd_open(2), "poll"):
// a leader whose main thread ended while other threads run is still running. A zero
// timeout: never blocks. EBADF for an fd that is not open (POLLNVAL).
static Napi::Value PidfdExited(const Napi::CallbackInfo& info) {
  int pidfd = 0;
  if (!ArgInt(info, 0, &pidfd)) return NegErrno(info.Env(), EINVAL);
  struct pollfd p = {pidfd, POLLIN, 0};
  int r = RetryEintr([&] { return poll(&p, 1, 0); });
  if (r < 0) return NegErrno(info.Env(), errno);
  if (r > 0 && (p.revents & POLLNVAL) != 0) return NegErrno(info.Env(), EBADF);
  return Napi::Number::New(info.Env(), r > 0 ? 1 : 0);
}

// closeFd(fd) -> 0, or -errno (EBADF). For fds this library opened natively (pidfds):
// fs.closeSync on them works, but inside a Worker it warns "closed but not opened in
// unmanaged mode" (Node tracks the fds each worker opened through fs). EINTR is not
// retried: on Linux the fd is released even then, and a retry could close a reused fd.
static Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgInt(info, 0, &fd)) return NegErrno(info.Env(), EINVAL);
  if (close(fd) < 0 && errno != EINTR) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

void InitPidfd(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "pidfdOpen", PidfdOpen);
  Export(env, exports, "pidfdSendSignal", PidfdSendSignal);
  Export(env, exports, "pidfdExited", PidfdExited);
  Export(env, exports, "closeFd", CloseFd);
  exports.Set("PIDFD_NONBLOCK", Napi::Number::New(env, 04000));  // O_NONBLOCK, linux/pidfd.h
}

}  // namespace unixproc
