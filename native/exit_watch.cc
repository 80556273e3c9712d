// (placeholder: filled in by the spawn issue: pidfd polling in the event loop)
#include "addon.h"

namespace unixproc {

void InitExitWatch(Napi::Env, Napi::Object) {}

}  // namespace unixproc
