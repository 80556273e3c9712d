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
void InitDaemon(Napi::Env env, Napi::Object exports);
void InitContain(Napi::Env env, Napi::Object exports);
void InitTreeStat(Napi::Env env, Napi::Object exports);
// issue 13: fd calls, scheduling, resource
void InitFd(Napi::Env env, Napi::Object exports);
void InitSched(Napi::Env env, Napi::Object exports);
void InitResource(Napi::Env env, Napi::Object exports);
// issue 10: the user and group databases for spawn's credentials
void InitCredentials(Napi::Env env, Napi::Object exports);
// issue 11: the sd_notify datagram socket
void InitNotify(Napi::Env env, Napi::Object exports);
// issue 12: the leak guard's provenance records as a shared file mapping
void InitRecordMap(Napi::Env env, Napi::Object exports);
void InitSpawnQueue(Napi::Env env, Napi::Object exports);

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

// Unchecked argument accessors, for values TypeScript validated. A value of the wrong type
// leaves a pending JS exception and yields 0/"" (which a syscall would then use), so new
// code uses the checked conversions below.
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

// Checked conversions: each returns false, WITHOUT a pending JS exception, when the value
// is not what the caller expects, so that the native function can return -EINVAL before any
// syscall runs (a direct call of the addon with bad values must not abort Node nor act on
// zeros; see issue 2's review: a sparse file_actions array aborted the process).
// An integer-valued number in [INT_MIN, INT_MAX] (NaN, fractions, other types: false).
bool ToInt(Napi::Value value, int* out);
// An integer-valued number in [INT64_MIN / 2^11, INT64_MAX / 2^11] (exact in a double).
bool ToInt64(Napi::Value value, int64_t* out);
// A boolean.
bool ToBool(Napi::Value value, bool* out);
// A C string: a JS string (as UTF-8) or a Buffer (its bytes as they are, so that non-UTF-8
// file names survive), without NUL bytes.
bool ToBytes(Napi::Value value, std::string* out);
// Element i of an array, or false (with any exception from a getter cleared).
bool ElementOf(Napi::Array array, uint32_t i, Napi::Value* out);
// Property `key` of an object, or false (with any exception from a getter cleared).
bool PropertyOf(Napi::Object object, const char* key, Napi::Value* out);

inline bool ArgInt(const Napi::CallbackInfo& info, size_t i, int* out) {
  return ToInt(info[i], out);
}
// An array of C strings (argv, envp; each a string or a Buffer), kept as std::string so
// that c_str() pointers can be collected before a fork. False when it is not an array or an
// element is not a C string.
bool ArgStringArray(const Napi::CallbackInfo& info, size_t i, std::vector<std::string>* out);
bool ToStringArray(Napi::Value value, std::vector<std::string>* out);

// NULL-terminated char* vector pointing into `strings` (which must outlive it).
std::vector<char*> CStringVector(std::vector<std::string>& strings);

// Sets exports[name] = fn.
inline void Export(Napi::Env env, Napi::Object exports, const char* name,
                   Napi::Function::Callback fn) {
  exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace unixproc

#endif  // UNIXPROC_ADDON_H
