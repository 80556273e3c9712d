// Signals, and the calling process's own end and clock.
// Man pages: kill(2), killpg(3), _exit(2), times(2), sysconf(3) (_SC_CLK_TCK).
//
// kill takes any pid_t: 0 is the caller's group, -1 every process the caller may signal,
// -N group N (kill(2)); TypeScript decides what it lets through, this only makes the call.
#include <signal.h>
#include <sys/times.h>
#include <unistd.h>

#include "addon.h"

namespace unixproc {

// kill(pid, sig) -> 0 or -errno.
static Napi::Value Kill(const Napi::CallbackInfo& info) {
  int pid = 0, sig = 0;
  // An unchecked 0 here would be kill(0, ...): the caller's whole process group.
  if (!ArgInt(info, 0, &pid) || !ArgInt(info, 1, &sig)) return NegErrno(info.Env(), EINVAL);
  if (kill(pid, sig) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// killpg(pgrp, sig) -> 0 or -errno. glibc's killpg is kill(-pgrp, sig) with EINVAL for a
// negative pgrp; pgrp 0 is the caller's own group.
static Napi::Value Killpg(const Napi::CallbackInfo& info) {
  int pgrp = 0, sig = 0;
  if (!ArgInt(info, 0, &pgrp) || !ArgInt(info, 1, &sig)) return NegErrno(info.Env(), EINVAL);
  if (killpg(pgrp, sig) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// _exit(status): ends the process now. No atexit handlers, no stdio flush, no Node
// 'exit' event: exactly Python's os._exit. -EINVAL (and no exit) for a non-integer status.
static Napi::Value Exit(const Napi::CallbackInfo& info) {
  int status = 0;
  if (!ArgInt(info, 0, &status)) return NegErrno(info.Env(), EINVAL);
  _exit(status);
}

// times() -> [user, system, children_user, children_system, elapsed] in seconds, or
// -errno. times(2) counts in clock ticks; elapsed is ticks since an arbitrary point in
// the past (Linux: boot), as Python's os.times_result.elapsed.
static Napi::Value Times(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct tms t {};
  errno = 0;
  clock_t elapsed = times(&t);
  // (clock_t)-1 is also a valid (wrapped) value; errno tells them apart (times(2) NOTES).
  if (elapsed == static_cast<clock_t>(-1) && errno != 0) return NegErrno(env, errno);
  long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return NegErrno(env, errno != 0 ? errno : EINVAL);
  const double hz = static_cast<double>(ticks);
  const double fields[] = {
      static_cast<double>(t.tms_utime) / hz, static_cast<double>(t.tms_stime) / hz,
      static_cast<double>(t.tms_cutime) / hz, static_cast<double>(t.tms_cstime) / hz,
      static_cast<double>(elapsed) / hz,
  };
  Napi::Array out = Napi::Array::New(env, 5);
  for (uint32_t i = 0; i < 5; i++) out.Set(i, Napi::Number::New(env, fields[i]));
  return out;
}

void InitSignals(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "kill", Kill);
  Export(env, exports, "killpg", Killpg);
  Export(env, exports, "_exit", Exit);
  Export(env, exports, "times", Times);
}

}  // namespace unixproc
