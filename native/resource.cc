// Python's resource module (Modules/resource.c): getrlimit, setrlimit, prlimit, getrusage,
// getpagesize. Man pages: getrlimit(2), prlimit(2), getrusage(2), sysconf(3).
//
// Limits cross to JavaScript as doubles, RLIM_INFINITY as -1 (Python's
// resource.RLIM_INFINITY on Linux is -1 too). A finite limit above 2^53 loses precision:
// none of the kernel's defaults is one.
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "addon.h"

namespace unixproc {

static double FromRlim(rlim_t v) {
  return v == RLIM_INFINITY ? -1.0 : static_cast<double>(v);
}

// -1: RLIM_INFINITY; otherwise 0 .. 2^53 (checked in TypeScript).
static bool ToRlim(Napi::Value value, rlim_t* out) {
  int64_t v = 0;
  if (!ToInt64(value, &v) || v < -1) return false;
  *out = v == -1 ? RLIM_INFINITY : static_cast<rlim_t>(v);
  return true;
}

static Napi::Value Pair(Napi::Env env, const struct rlimit& rl) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, FromRlim(rl.rlim_cur)));
  out.Set(1u, Napi::Number::New(env, FromRlim(rl.rlim_max)));
  return out;
}

// prlimit(pid, resource, set, soft, hard) -> the old [soft, hard], or -errno.
// getrlimit and setrlimit are prlimit(0, ...), as glibc implements them.
static Napi::Value Prlimit(const Napi::CallbackInfo& info) {
  int pid = 0, resource = 0;
  bool set = false;
  if (!ToInt(info[0], &pid) || !ToInt(info[1], &resource) || !ToBool(info[2], &set)) {
    return NegErrno(info.Env(), EINVAL);
  }
  struct rlimit next {}, old {};
  if (set && (!ToRlim(info[3], &next.rlim_cur) || !ToRlim(info[4], &next.rlim_max))) {
    return NegErrno(info.Env(), EINVAL);
  }
  if (prlimit(pid, static_cast<__rlimit_resource>(resource), set ? &next : nullptr, &old) != 0) {
    return NegErrno(info.Env(), errno);
  }
  return Pair(info.Env(), old);
}

static double Seconds(const struct timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

// getrusage(who) -> the 16 fields of struct rusage in Python's order, or -errno.
static Napi::Value GetRusage(const Napi::CallbackInfo& info) {
  int who = 0;
  if (!ToInt(info[0], &who)) return NegErrno(info.Env(), EINVAL);
  struct rusage ru {};
  if (getrusage(who, &ru) != 0) return NegErrno(info.Env(), errno);
  const double fields[] = {
      Seconds(ru.ru_utime), Seconds(ru.ru_stime), static_cast<double>(ru.ru_maxrss),
      static_cast<double>(ru.ru_ixrss), static_cast<double>(ru.ru_idrss),
      static_cast<double>(ru.ru_isrss), static_cast<double>(ru.ru_minflt),
      static_cast<double>(ru.ru_majflt), static_cast<double>(ru.ru_nswap),
      static_cast<double>(ru.ru_inblock), static_cast<double>(ru.ru_oublock),
      static_cast<double>(ru.ru_msgsnd), static_cast<double>(ru.ru_msgrcv),
      static_cast<double>(ru.ru_nsignals), static_cast<double>(ru.ru_nvcsw),
      static_cast<double>(ru.ru_nivcsw)};
  Napi::Array out = Napi::Array::New(info.Env(), 16);
  for (uint32_t i = 0; i < 16; i++) out.Set(i, Napi::Number::New(info.Env(), fields[i]));
  return out;
}

static Napi::Value GetPageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sysconf(_SC_PAGESIZE)));
}

void InitResource(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "prlimit", Prlimit);
  Export(env, exports, "getrusage", GetRusage);
  Export(env, exports, "getpagesize", GetPageSize);
  exports.Set("RLIM_NLIMITS", Napi::Number::New(env, RLIM_NLIMITS));
}

}  // namespace unixproc
