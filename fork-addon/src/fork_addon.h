// Shared declarations of the fork addon (see ../binding.gyp for why it is apart from the
// main addon). Same conventions as ../../native/addon.h: validated plain values in, plain
// values or a negative errno out, EINTR retried.
#ifndef UNIXPROC_FORK_ADDON_H
#define UNIXPROC_FORK_ADDON_H

#include "addon.h"

// node.h (the V8 platform, the process exit handler) defines the runtime's NAPI_VERSION;
// the addon is built against the one binding.gyp sets, so node.h sees its own and ours is
// put back afterwards.
#pragma push_macro("NAPI_VERSION")
#undef NAPI_VERSION
#include <node.h>
#include <v8-platform.h>
#undef NAPI_VERSION
#pragma pop_macro("NAPI_VERSION")

namespace unixproc {

void InitDontFork(Napi::Env env, Napi::Object exports);
void InitFork(Napi::Env env, Napi::Object exports);
void InitChildLoop(Napi::Env env, Napi::Object exports);

}  // namespace unixproc

#endif  // UNIXPROC_FORK_ADDON_H
