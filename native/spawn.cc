// (placeholder: filled in by the issue that owns this concern)
#include "addon.h"

namespace unixproc {

void InitSpawn(Napi::Env, Napi::Object) {}

}  // namespace unixproc
