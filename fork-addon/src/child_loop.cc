// The forked child's natural end.
//
// Node's own end (SpinEventLoop -> NodePlatform::DrainTasks) would wait forever in a
// forked child for platform tasks that no thread will run (fork.cc). A prepare handle
// notices when only itself keeps the loop alive and plays Node's end sequence
// ('beforeExit', then process.exit()) through JavaScript instead. It reads libuv's loop
// counters (uv_loop_alive(3) cannot discount the guard's own handle), which is why it
// lives in the fork addon, built for one Node (and libuv) version.
#include <uv.h>

#include <memory>

#include "fork_addon.h"

namespace unixproc {

struct LoopGuard {
  uv_prepare_t prepare;
  napi_env env;
  Napi::FunctionReference end;  // end(phase): 'beforeExit' or 'exit', in JavaScript
  std::unique_ptr<Napi::AsyncContext> context;
};

// One guard per process: a nested fork inherits its parent's, loop handle included.
static LoopGuard* g_guard = nullptr;

// uv_loop_alive(3) with the guard's own handle discounted.
static bool OnlyGuardAlive(uv_loop_t* loop) {
  const struct uv__queue* pending = &loop->pending_queue;
  return loop->active_handles <= 1 && loop->active_reqs.count == 0 &&
         pending->next == pending && loop->closing_handles == nullptr;
}

// Runs before each poll. When nothing but the guard keeps the loop alive, Node would leave
// uv_run here; instead this runs Node's end sequence (node::SpinEventLoop: 'beforeExit',
// then, if that scheduled nothing, the exit) so that the child never reaches DrainTasks.
static void OnPrepare(uv_prepare_t* handle) {
  LoopGuard* guard = static_cast<LoopGuard*>(handle->data);
  if (!OnlyGuardAlive(handle->loop)) return;
  Napi::Env env(guard->env);
  {
    Napi::HandleScope scope(env);
    guard->end.MakeCallback(env.Global(), {Napi::String::New(env, "beforeExit")}, *guard->context);
  }
  if (!OnlyGuardAlive(handle->loop)) return;  // 'beforeExit' listeners scheduled more work
  Napi::HandleScope scope(env);
  guard->end.MakeCallback(env.Global(), {Napi::String::New(env, "exit")}, *guard->context);
}

// guardChildLoop(end) -> 0 or -errno. Called in a forked child only.
static Napi::Value GuardChildLoop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_guard != nullptr) return Napi::Number::New(env, 0);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    return NegErrno(env, EINVAL);
  }
  auto* guard = new LoopGuard();  // lives as long as the process
  guard->env = env;
  guard->end = Napi::Persistent(info[0].As<Napi::Function>());
  guard->context = std::make_unique<Napi::AsyncContext>(env, "unixproc.forkChild");
  int r = uv_prepare_init(loop, &guard->prepare);
  if (r == 0) r = uv_prepare_start(&guard->prepare, OnPrepare);
  if (r != 0) {
    delete guard;
    return NegErrno(env, -r);
  }
  guard->prepare.data = guard;
  g_guard = guard;
  return Napi::Number::New(env, 0);
}

void InitChildLoop(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "guardChildLoop", GuardChildLoop);
}

}  // namespace unixproc
