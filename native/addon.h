// Shared declarations for the unixproc addon.
//
// Conventions (see ../shared/DESIGN.md, "native/ and lib/: the boundary"):
// - every exported function takes values that TypeScript has already validated;
// - it returns plain values, or a negative errno as a JS number when a syscall failed;
//   it never throws text of its own (TypeScript builds every error, in lib/errors.ts);
// - EINTR is retried here (PEP 475), never surfaced.
#ifndef UNIXPROC_ADDON_H
#define UNIXPROC_ADDON_H

#include <napi.h>

#include <cerrno>
#include <string>
#include <vector>

namespace unixproc {

// One Init per concern; addon.cc only calls them.
void InitIdentity(Napi::Env env, Napi::Object exports);
void InitSignals(Napi::Env env, Napi::Object exports);
void InitWait(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitPrctl(Napi::Env env, Napi::Object exports);
void InitPidfd(Napi::Env env, Napi::Object exports);
void InitChild(Napi::Env env, Napi::Object exports);
void InitExec(Napi::Env env, Napi::Object exports);
void InitProcfs(Napi::Env env, Napi::Object exports);
void InitExitWatch(Napi::Env env, Napi::Object exports);

// -errno as a JS number: the one way native code reports a failed syscall.
inline Napi::Value NegErrno(Napi::Env env, int err) {
  return Napi::Number::New(env, -err);
}

// Retries a syscall-like expression while it fails with EINTR.
template <typename F>
inline auto RetryEintr(F f) -> decltype(f()) {
  decltype(f()) r;
  do {
    r = f();
  } while (r == -1 && errno == EINTR);
  return r;
}

// Argument accessors. TypeScript validated the types; these only convert.
inline int ArgInt(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}
inline int64_t ArgInt64(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int64Value();
}
inline bool ArgBool(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Boolean>().Value();
}
inline std::string ArgString(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::String>().Utf8Value();
}
// An array of strings (argv, envp), kept as std::string so that c_str() pointers
// can be collected before a fork.
std::vector<std::string> ArgStringArray(const Napi::CallbackInfo& info, size_t i);

// NULL-terminated char* vector pointing into `strings` (which must outlive it).
std::vector<char*> CStringVector(std::vector<std::string>& strings);

// Sets exports[name] = fn.
inline void Export(Napi::Env env, Napi::Object exports, const char* name,
                   Napi::Function::Callback fn) {
  exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace unixproc

#endif  // UNIXPROC_ADDON_H
