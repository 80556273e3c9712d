// Python's os scheduling calls (Modules/posixmodule.c): nice, getpriority, setpriority,
// sched_getscheduler, sched_setscheduler, sched_getparam, sched_setparam,
// sched_get_priority_min/max, sched_rr_get_interval, sched_yield, sched_getaffinity,
// sched_setaffinity; and abort.
// Man pages: nice(2), getpriority(2), sched_setscheduler(2), sched_setparam(2),
// sched_get_priority_max(2), sched_rr_get_interval(2), sched_yield(2),
// sched_setaffinity(2), CPU_SET(3), abort(3).
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vector>

#include "addon.h"

namespace unixproc {

// A nice value is negative as often as not, so nice and getpriority return it boxed, [value],
// and -errno (a plain number) on failure.
static Napi::Value Boxed(Napi::Env env, int value) {
  Napi::Array out = Napi::Array::New(env, 1);
  out.Set(0u, Napi::Number::New(env, value));
  return out;
}

// nice(increment) -> [new nice value], or -errno. -1 is a valid nice value, so errno is
// cleared first and checked after (nice(2)).
static Napi::Value Nice(const Napi::CallbackInfo& info) {
  int inc = 0;
  if (!ToInt(info[0], &inc)) return NegErrno(info.Env(), EINVAL);
  errno = 0;
  int r = nice(inc);
  if (r == -1 && errno != 0) return NegErrno(info.Env(), errno);
  return Boxed(info.Env(), r);
}

// getpriority(which, who) -> [nice value (-20..19)], or -errno.
static Napi::Value GetPriority(const Napi::CallbackInfo& info) {
  int which = 0, who = 0;
  if (!ToInt(info[0], &which) || !ToInt(info[1], &who)) {
    return NegErrno(info.Env(), EINVAL);
  }
  errno = 0;
  int r = getpriority(which, static_cast<id_t>(who));
  if (r == -1 && errno != 0) return NegErrno(info.Env(), errno);
  return Boxed(info.Env(), r);
}

// setpriority(which, who, priority) -> 0 or -errno.
static Napi::Value SetPriority(const Napi::CallbackInfo& info) {
  int which = 0, who = 0, prio = 0;
  if (!ToInt(info[0], &which) || !ToInt(info[1], &who) || !ToInt(info[2], &prio)) {
    return NegErrno(info.Env(), EINVAL);
  }
  if (setpriority(which, static_cast<id_t>(who), prio) != 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

static Napi::Value GetScheduler(const Napi::CallbackInfo& info) {
  int pid = 0;
  if (!ToInt(info[0], &pid)) return NegErrno(info.Env(), EINVAL);
  int r = sched_getscheduler(pid);
  if (r < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), r);
}

static Napi::Value SetScheduler(const Napi::CallbackInfo& info) {
  int pid = 0, policy = 0, prio = 0;
  if (!ToInt(info[0], &pid) || !ToInt(info[1], &policy) || !ToInt(info[2], &prio)) {
    return NegErrno(info.Env(), EINVAL);
  }
  struct sched_param param {};
  param.sched_priority = prio;
  if (sched_setscheduler(pid, policy, &param) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// getParam(pid) -> sched_priority (0..99) or -errno.
static Napi::Value GetParam(const Napi::CallbackInfo& info) {
  int pid = 0;
  if (!ToInt(info[0], &pid)) return NegErrno(info.Env(), EINVAL);
  struct sched_param param {};
  if (sched_getparam(pid, &param) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), param.sched_priority);
}

static Napi::Value SetParam(const Napi::CallbackInfo& info) {
  int pid = 0, prio = 0;
  if (!ToInt(info[0], &pid) || !ToInt(info[1], &prio)) return NegErrno(info.Env(), EINVAL);
  struct sched_param param {};
  param.sched_priority = prio;
  if (sched_setparam(pid, &param) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

static Napi::Value PriorityMin(const Napi::CallbackInfo& info) {
  int policy = 0;
  if (!ToInt(info[0], &policy)) return NegErrno(info.Env(), EINVAL);
  int r = sched_get_priority_min(policy);
  if (r < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), r);
}

static Napi::Value PriorityMax(const Napi::CallbackInfo& info) {
  int policy = 0;
  if (!ToInt(info[0], &policy)) return NegErrno(info.Env(), EINVAL);
  int r = sched_get_priority_max(policy);
  if (r < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), r);
}

// rrGetInterval(pid) -> [seconds, nanoseconds] or -errno.
static Napi::Value RrGetInterval(const Napi::CallbackInfo& info) {
  int pid = 0;
  if (!ToInt(info[0], &pid)) return NegErrno(info.Env(), EINVAL);
  struct timespec ts {};
  if (sched_rr_get_interval(pid, &ts) < 0) return NegErrno(info.Env(), errno);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(ts.tv_sec)));
  out.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(ts.tv_nsec)));
  return out;
}

static Napi::Value Yield(const Napi::CallbackInfo& info) {
  if (sched_yield() < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// getAffinity(pid) -> array of cpu numbers, or -errno. As CPython: the mask grows until
// the kernel accepts its size (EINVAL means "too small" for a mask below the kernel's
// nr_cpu_ids).
static Napi::Value GetAffinity(const Napi::CallbackInfo& info) {
  int pid = 0;
  if (!ToInt(info[0], &pid)) return NegErrno(info.Env(), EINVAL);
  for (int ncpus = CPU_SETSIZE; ncpus <= (1 << 22); ncpus *= 2) {
    cpu_set_t* mask = CPU_ALLOC(ncpus);
    if (mask == nullptr) return NegErrno(info.Env(), ENOMEM);
    size_t size = CPU_ALLOC_SIZE(ncpus);
    CPU_ZERO_S(size, mask);
    if (sched_getaffinity(pid, size, mask) != 0) {
      int err = errno;
      CPU_FREE(mask);
      if (err == EINVAL) continue;
      return NegErrno(info.Env(), err);
    }
    Napi::Array out = Napi::Array::New(info.Env());
    uint32_t k = 0;
    int count = CPU_COUNT_S(size, mask);
    for (int cpu = 0; count > 0 && cpu < ncpus; cpu++) {
      if (CPU_ISSET_S(cpu, size, mask)) {
        out.Set(k++, Napi::Number::New(info.Env(), cpu));
        count--;
      }
    }
    CPU_FREE(mask);
    return out;
  }
  return NegErrno(info.Env(), EINVAL);
}

// setAffinity(pid, cpus) -> 0 or -errno; cpus: an array of cpu numbers in 0 .. 2^22-1
// (checked in TypeScript; checked again here).
static Napi::Value SetAffinity(const Napi::CallbackInfo& info) {
  int pid = 0;
  if (!ToInt(info[0], &pid) || !info[1].IsArray()) return NegErrno(info.Env(), EINVAL);
  Napi::Array array = info[1].As<Napi::Array>();
  std::vector<int> cpus;
  int highest = 0;
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value v;
    int cpu = -1;
    if (!ElementOf(array, i, &v) || !ToInt(v, &cpu) || cpu < 0 || cpu >= (1 << 22)) {
      return NegErrno(info.Env(), EINVAL);
    }
    cpus.push_back(cpu);
    if (cpu > highest) highest = cpu;
  }
  int ncpus = highest + 1;
  cpu_set_t* mask = CPU_ALLOC(ncpus);
  if (mask == nullptr) return NegErrno(info.Env(), ENOMEM);
  size_t size = CPU_ALLOC_SIZE(ncpus);
  CPU_ZERO_S(size, mask);
  for (int cpu : cpus) CPU_SET_S(cpu, size, mask);
  int r = sched_setaffinity(pid, size, mask);
  int err = errno;
  CPU_FREE(mask);
  if (r != 0) return NegErrno(info.Env(), err);
  return Napi::Number::New(info.Env(), 0);
}

// abort(): raises SIGABRT (abort(3)); does not return.
static Napi::Value Abort(const Napi::CallbackInfo& info) {
  (void)info;
  abort();
}

void InitSched(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "nice", Nice);
  Export(env, exports, "getpriority", GetPriority);
  Export(env, exports, "setpriority", SetPriority);
  Export(env, exports, "schedGetScheduler", GetScheduler);
  Export(env, exports, "schedSetScheduler", SetScheduler);
  Export(env, exports, "schedGetParam", GetParam);
  Export(env, exports, "schedSetParam", SetParam);
  Export(env, exports, "schedGetPriorityMin", PriorityMin);
  Export(env, exports, "schedGetPriorityMax", PriorityMax);
  Export(env, exports, "schedRrGetInterval", RrGetInterval);
  Export(env, exports, "schedYield", Yield);
  Export(env, exports, "schedGetAffinity", GetAffinity);
  Export(env, exports, "schedSetAffinity", SetAffinity);
  Export(env, exports, "abort", Abort);
}

}  // namespace unixproc
