// (placeholder: filled in by the issue that owns this concern)
#include "addon.h"

namespace unixproc {

void InitSignals(Napi::Env, Napi::Object) {}

}  // namespace unixproc
