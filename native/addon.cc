// Registers the exports of every concern. Nothing else lives here.
#include "addon.h"

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  unixproc::InitIdentity(env, exports);
  unixproc::InitSignals(env, exports);
  unixproc::InitWait(env, exports);
  unixproc::InitSpawn(env, exports);
  unixproc::InitPrctl(env, exports);
  unixproc::InitPidfd(env, exports);
  unixproc::InitChild(env, exports);
  unixproc::InitExec(env, exports);
  unixproc::InitProcfs(env, exports);
  unixproc::InitExitWatch(env, exports);
  unixproc::InitDaemon(env, exports);
  unixproc::InitContain(env, exports);
  unixproc::InitTreeStat(env, exports);
  // issue 13: fd calls, scheduling, resource
  unixproc::InitFd(env, exports);
  unixproc::InitSched(env, exports);
  unixproc::InitResource(env, exports);
  unixproc::InitCredentials(env, exports);
  unixproc::InitNotify(env, exports);
  unixproc::InitRecordMap(env, exports);
  unixproc::InitSpawnQueue(env, exports);
  return exports;
}

NODE_API_MODULE(unixproc, InitAll)
