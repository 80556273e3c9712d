// (placeholder: filled in by the issue that owns this concern)
#include "addon.h"

namespace unixproc {

void InitForkExec(Napi::Env, Napi::Object) {}

}  // namespace unixproc
