// (placeholder: filled in by the issue that owns this concern)
#include "addon.h"

namespace unixproc {

void InitProcfs(Napi::Env, Napi::Object) {}

}  // namespace unixproc
