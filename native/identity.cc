// Process identity, process groups and sessions.
// Man pages: getpid(2), getppid(2), getpgid(2), setpgid(2), getsid(2), setsid(2),
// tcgetpgrp(3), tcsetpgrp(3).
#include <termios.h>
#include <unistd.h>

#include "addon.h"

namespace unixproc {

static Napi::Value IntOrErrno(Napi::Env env, long r) {
  if (r < 0) return NegErrno(env, errno);
  return Napi::Number::New(env, static_cast<double>(r));
}

// Live syscalls, never cached: a forked child must see its own pid.
static Napi::Value GetPid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getpid());
}
static Napi::Value GetPpid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getppid());
}
static Napi::Value GetPgid(const Napi::CallbackInfo& info) {
  pid_t pid = 0;
  if (!ArgInt(info, 0, &pid)) return NegErrno(info.Env(), EINVAL);
  return IntOrErrno(info.Env(), getpgid(pid));
}
static Napi::Value SetPgid(const Napi::CallbackInfo& info) {
  pid_t pid = 0, pgid = 0;
  if (!ArgInt(info, 0, &pid) || !ArgInt(info, 1, &pgid)) return NegErrno(info.Env(), EINVAL);
  return IntOrErrno(info.Env(), setpgid(pid, pgid));
}
static Napi::Value GetSid(const Napi::CallbackInfo& info) {
  pid_t pid = 0;
  if (!ArgInt(info, 0, &pid)) return NegErrno(info.Env(), EINVAL);
  return IntOrErrno(info.Env(), getsid(pid));
}
static Napi::Value SetSid(const Napi::CallbackInfo& info) {
  return IntOrErrno(info.Env(), setsid());
}
static Napi::Value TcGetPgrp(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgInt(info, 0, &fd)) return NegErrno(info.Env(), EINVAL);
  return IntOrErrno(info.Env(), tcgetpgrp(fd));
}
static Napi::Value TcSetPgrp(const Napi::CallbackInfo& info) {
  int fd = 0;
  pid_t pgrp = 0;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &pgrp)) return NegErrno(info.Env(), EINVAL);
  return IntOrErrno(info.Env(), RetryEintr([&] { return tcsetpgrp(fd, pgrp); }));
}

void InitIdentity(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "getpid", GetPid);
  Export(env, exports, "getppid", GetPpid);
  Export(env, exports, "getpgid", GetPgid);
  Export(env, exports, "setpgid", SetPgid);
  Export(env, exports, "getsid", GetSid);
  Export(env, exports, "setsid", SetSid);
  Export(env, exports, "tcgetpgrp", TcGetPgrp);
  Export(env, exports, "tcsetpgrp", TcSetPgrp);
}

}  // namespace unixproc
