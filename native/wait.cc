// Waiting for children: waitpid(2), wait4(2), waitid(2) (including P_PIDFD, Linux 5.4).
//
// Results are plain arrays so that TypeScript can shape them as Python does:
//   waitpid(pid, options)        -> [pid, status]
//   wait4(pid, options)          -> [pid, status, ...rusage fields]
//   waitid(idtype, id, options)  -> [si_pid, si_uid, si_signo, si_status, si_code]
// A failure returns -errno. EINTR is retried (PEP 475).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"

namespace unixproc {

static Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = 0;
  int options = 0;
  if (!ArgInt(info, 0, &pid) || !ArgInt(info, 1, &options)) return NegErrno(env, EINVAL);
  int status = 0;
  pid_t r = RetryEintr([&] { return waitpid(pid, &status, options); });
  if (r < 0) return NegErrno(env, errno);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, r));
  out.Set(1u, Napi::Number::New(env, r == 0 ? 0 : status));
  return out;
}

static double Seconds(const struct timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

// The order matches Python's resource.struct_rusage.
static Napi::Array RusageArray(Napi::Env env, const struct rusage& ru) {
  const double fields[] = {
      Seconds(ru.ru_utime), Seconds(ru.ru_stime),
      static_cast<double>(ru.ru_maxrss), static_cast<double>(ru.ru_ixrss),
      static_cast<double>(ru.ru_idrss), static_cast<double>(ru.ru_isrss),
      static_cast<double>(ru.ru_minflt), static_cast<double>(ru.ru_majflt),
      static_cast<double>(ru.ru_nswap), static_cast<double>(ru.ru_inblock),
      static_cast<double>(ru.ru_oublock), static_cast<double>(ru.ru_msgsnd),
      static_cast<double>(ru.ru_msgrcv), static_cast<double>(ru.ru_nsignals),
      static_cast<double>(ru.ru_nvcsw), static_cast<double>(ru.ru_nivcsw),
  };
  Napi::Array out = Napi::Array::New(env, 16);
  for (uint32_t i = 0; i < 16; i++) out.Set(i, Napi::Number::New(env, fields[i]));
  return out;
}

// wait4(pid, options) -> [pid, status, rusage[16]]; wait3 is wait4(-1, ...).
static Napi::Value Wait4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = 0;
  int options = 0;
  if (!ArgInt(info, 0, &pid) || !ArgInt(info, 1, &options)) return NegErrno(env, EINVAL);
  int status = 0;
  struct rusage ru {};
  pid_t r = RetryEintr([&] { return wait4(pid, &status, options, &ru); });
  if (r < 0) return NegErrno(env, errno);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, r));
  out.Set(1u, Napi::Number::New(env, r == 0 ? 0 : status));
  out.Set(2u, RusageArray(env, ru));
  return out;
}

// waitid(idtype, id, options) -> [si_pid, si_uid, si_signo, si_status, si_code].
// With WNOHANG and nothing ready the kernel leaves si_pid at 0 (we zero siginfo first),
// which TypeScript turns into Python's None.
static Napi::Value WaitId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int type = 0;
  int64_t id64 = 0;
  int options = 0;
  if (!ArgInt(info, 0, &type) || !ToInt64(info[1], &id64) || id64 < 0 || id64 > UINT32_MAX ||
      !ArgInt(info, 2, &options)) {
    return NegErrno(env, EINVAL);
  }
  // The raw syscall takes the idtype as the int it is: glibc's waitid() takes an idtype_t,
  // and casting an int outside P_ALL..P_PIDFD to that enum is undefined behaviour (UBSan
  // aborted on os.waitid(-10, 1, 0), found by npm run fuzz under npm run test:asan). Such
  // a value goes to the kernel, which answers EINVAL, as Python's os.waitid does.
  id_t id = static_cast<id_t>(id64);
  siginfo_t si {};
  long r = RetryEintr([&] { return syscall(SYS_waitid, type, id, &si, options, nullptr); });
  if (r < 0) return NegErrno(env, errno);
  Napi::Array out = Napi::Array::New(env, 5);
  out.Set(0u, Napi::Number::New(env, si.si_pid));
  out.Set(1u, Napi::Number::New(env, si.si_uid));
  out.Set(2u, Napi::Number::New(env, si.si_signo));
  out.Set(3u, Napi::Number::New(env, si.si_status));
  out.Set(4u, Napi::Number::New(env, si.si_code));
  return out;
}

void InitWait(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "waitpid", WaitPid);
  Export(env, exports, "wait4", Wait4);
  Export(env, exports, "waitid", WaitId);
}

}  // namespace unixproc
