// Registers the fork addon's exports, after checking that it runs on the Node ABI it was
// built for.
//
// The addon registers through N-API (its functions are N-API functions), and Node does not
// check NODE_MODULE_VERSION for N-API modules; but it also calls Node's C++ API, whose
// layout changes with every ABI. Loaded into another Node (a build/ left from an older
// Node, a copied prebuild), those calls would crash. So before anything else the ABI
// compiled in is compared with the running one (process.versions.modules, read through
// N-API only) and a mismatch fails the load with an error: node-gyp-build's install check
// then rebuilds, and lib/native.ts turns it into ERR_UNIXPROC_FORK_UNAVAILABLE.
#include <string>

#include "fork_addon.h"

static std::string RunningModuleVersion(Napi::Env env) {
  Napi::Value process = env.Global().Get("process");
  if (!process.IsObject()) return "";
  Napi::Value versions = process.As<Napi::Object>().Get("versions");
  if (!versions.IsObject()) return "";
  Napi::Value modules = versions.As<Napi::Object>().Get("modules");
  return modules.IsString() ? modules.As<Napi::String>().Utf8Value() : "";
}

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  std::string built = std::to_string(NODE_MODULE_VERSION);
  std::string running = RunningModuleVersion(env);
  if (running != built) {
    Napi::Error::New(env, "unixproc_fork was built for Node ABI " + built +
                              " (NODE_MODULE_VERSION) but this Node's ABI is " +
                              (running.empty() ? std::string("unknown") : running))
        .ThrowAsJavaScriptException();
    return exports;
  }
  exports.Set("abi", Napi::Number::New(env, NODE_MODULE_VERSION));
  unixproc::InitDontFork(env, exports);
  unixproc::InitFork(env, exports);
  unixproc::InitChildLoop(env, exports);
  return exports;
}

NODE_API_MODULE(unixproc_fork, InitAll)
