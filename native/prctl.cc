// prctl(2) operations the library needs: child subreaper (so tests and supervisors
// own the orphans of their subtree) and the parent-death signal.
#include <sys/prctl.h>

#include "addon.h"

namespace unixproc {

static Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  bool enable = false;
  if (!ToBool(info[0], &enable)) return NegErrno(info.Env(), EINVAL);
  unsigned long on = enable ? 1 : 0;
  if (prctl(PR_SET_CHILD_SUBREAPER, on, 0, 0, 0) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

static Napi::Value GetChildSubreaper(const Napi::CallbackInfo& info) {
  int value = 0;
  if (prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) < 0) return NegErrno(info.Env(), errno);
  return Napi::Boolean::New(info.Env(), value != 0);
}

void InitPrctl(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "setChildSubreaper", SetChildSubreaper);
  Export(env, exports, "getChildSubreaper", GetChildSubreaper);
}

}  // namespace unixproc
