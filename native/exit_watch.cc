// Waiting for a process without blocking and without a thread: its pidfd, polled by the
// event loop (uv_poll_t on the loop of the calling environment). A pidfd becomes readable
// when the process exits (pidfd_open(2), "poll"); the caller then reaps it with
// waitid(P_PIDFD) (wait.cc). No thread per child, no busy polling, no SIGCHLD.
//
//   watchPidfd(pidfd, callback) -> handle (an External), or -errno
//     One-shot: when the fd is readable (or polling failed), the poll handle is stopped
//     and closed, then callback(status) runs on the loop thread through
//     napi_make_callback (status 0, or a negative libuv error).
//   watchSignal(signo, callback) -> handle, or -errno
//     The fallback for kernels without pidfd: callback() on the loop thread each time the
//     signal (SIGCHLD) arrives (uv_signal_t; libuv lets several watchers share a signal,
//     child_process's own included). process.on('SIGCHLD') would do in plain Node, but
//     not inside sandboxes that wrap `process` (jest's), so the watch is native.
//   unwatch(handle) -> 0: stops and closes the handle if it is still open.
//   refWatch(handle, ref) -> 0: whether the watch keeps the event loop alive.
//   liveExitWatches() -> number of watch records alive (diagnostic, for leak tests).
//
// The watch never owns the fd: the caller closes it after the handle has been stopped
// (it is stopped before the callback runs, and by unwatchPidfd). The record is freed when
// both its libuv handle is closed and the External has been collected. While a handle is
// open, an async cleanup hook holds the environment's teardown (a Worker ending) until
// the handle is closed; the hook releases the JS callback and its async context.
#include <uv.h>

#include <atomic>

#include "addon.h"

namespace unixproc {

static std::atomic<int> live_watches{0};

struct Watch {
  union {
    uv_poll_t poll;
    uv_signal_t signal;
    uv_handle_t handle;
  };
  bool is_signal = false;
  napi_env env;
  Napi::FunctionReference callback;
  napi_async_context async_context = nullptr;
  bool closing = false;
  int owners = 2;  // the libuv handle and the JS External
  // Registered while the libuv handle is open: a worker's environment must not finish
  // tearing down (and unload this addon) before OnClosed has run. Removed by OnClosed.
  napi_async_cleanup_hook_handle cleanup = nullptr;

  Watch() {}
  ~Watch() { live_watches--; }
};

static void ReleaseWatch(Watch* w) {
  if (--w->owners == 0) delete w;
}

// The handle is closed: the environment may finish its teardown (the cleanup hook, if it
// has started, is done), and the record loses one owner.
static void OnClosed(uv_handle_t* handle) {
  Watch* w = static_cast<Watch*>(handle->data);
  if (w->cleanup != nullptr) {
    napi_async_cleanup_hook_handle cleanup = w->cleanup;
    w->cleanup = nullptr;
    napi_remove_async_cleanup_hook(cleanup);
  }
  ReleaseWatch(w);
}

// Drops the JS callback and its async context (on the loop thread, env alive).
static void ReleaseJs(Watch* w) {
  if (w->async_context != nullptr) {
    napi_async_destroy(w->env, w->async_context);
    w->async_context = nullptr;
  }
  w->callback.Reset();
}

// Stops polling and closes the handle (once); OnClosed completes it.
static void CloseWatch(Watch* w) {
  if (w->closing) return;
  w->closing = true;
  if (w->is_signal) uv_signal_stop(&w->signal);
  else uv_poll_stop(&w->poll);
  uv_close(&w->handle, OnClosed);
}

// The environment is going away (a worker ends, or the process exits) while the handle is
// open or closing. An async cleanup hook (N-API 8): node keeps running the loop until
// OnClosed removes the hook, so the close callback never runs after the addon is unloaded
// (a plain env cleanup hook would let a worker's teardown finish first: a segfault).
static void AsyncCleanupHook(napi_async_cleanup_hook_handle, void* arg) {
  Watch* w = static_cast<Watch*>(arg);
  ReleaseJs(w);
  CloseWatch(w);  // a no-op when closing already: OnClosed is on its way
}

// Calls fn(status) as a callback from the event loop (async hooks, microtasks drained).
static void CallIntoJs(Napi::Env env, napi_async_context context, Napi::Function fn, int status) {
  napi_value argv[1] = {Napi::Number::New(env, status)};
  napi_value result;
  napi_value recv = env.Global();  // napi_make_callback wants an object receiver
  napi_status s = napi_make_callback(env, context, recv, fn, 1, argv, &result);
  if (s == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);  // as an uncaught exception in a JS callback
  }
}

static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  Watch* w = static_cast<Watch*>(handle->data);
  if (w->closing) return;
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  Napi::Function fn = w->callback.Value();
  napi_async_context context = w->async_context;
  w->async_context = nullptr;
  CloseWatch(w);  // one-shot: stopped before JS may close the fd
  CallIntoJs(env, context, fn, status);
  napi_async_destroy(env, context);
  w->callback.Reset();
}

static void OnSignal(uv_signal_t* handle, int signo) {
  Watch* w = static_cast<Watch*>(handle->data);
  if (w->closing) return;
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  CallIntoJs(env, w->async_context, w->callback.Value(), signo);
}

// The External was collected. An open watch stays open (its callback is still owed a
// call); the record goes when its handle is closed too.
static void FinalizeExternal(Napi::Env, Watch* w) {
  ReleaseWatch(w);
}

static Napi::Value StartWatch(const Napi::CallbackInfo& info, bool is_signal) {
  Napi::Env env = info.Env();
  int fd_or_signo = 0;
  if (!ToInt(info[0], &fd_or_signo) || !info[1].IsFunction()) return NegErrno(env, EINVAL);
  Napi::Function callback = info[1].As<Napi::Function>();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    return NegErrno(env, EINVAL);
  }
  Watch* w = new Watch();
  live_watches++;
  w->env = env;
  w->is_signal = is_signal;
  int r = is_signal ? uv_signal_init(loop, &w->signal) : uv_poll_init(loop, &w->poll, fd_or_signo);
  if (r < 0) {
    delete w;
    return Napi::Number::New(env, r);  // libuv errors are already -errno
  }
  w->handle.data = w;
  r = is_signal ? uv_signal_start(&w->signal, OnSignal, fd_or_signo)
                : uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (r < 0) {
    w->owners = 1;  // no External will exist
    w->closing = true;
    uv_close(&w->handle, OnClosed);
    return Napi::Number::New(env, r);
  }
  w->callback = Napi::Persistent(callback);
  napi_value resource_name = Napi::String::New(env, "unixproc.ExitWatch");
  napi_async_init(env, nullptr, resource_name, &w->async_context);
  if (napi_add_async_cleanup_hook(env, AsyncCleanupHook, w, &w->cleanup) != napi_ok) {
    w->cleanup = nullptr;
    ReleaseJs(w);
    w->owners = 1;  // no External will exist
    CloseWatch(w);
    return NegErrno(env, ENOMEM);
  }
  return Napi::External<Watch>::New(env, w, FinalizeExternal);
}

static Napi::Value WatchPidfd(const Napi::CallbackInfo& info) {
  return StartWatch(info, false);
}

static Napi::Value WatchSignal(const Napi::CallbackInfo& info) {
  return StartWatch(info, true);
}

static Napi::Value Unwatch(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) return NegErrno(info.Env(), EINVAL);
  Watch* w = info[0].As<Napi::External<Watch>>().Data();
  if (!w->closing) {
    CloseWatch(w);
    ReleaseJs(w);
  }
  return Napi::Number::New(info.Env(), 0);
}

static Napi::Value RefWatch(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal() || !info[1].IsBoolean()) return NegErrno(info.Env(), EINVAL);
  Watch* w = info[0].As<Napi::External<Watch>>().Data();
  if (!w->closing) {
    if (ArgBool(info, 1)) uv_ref(&w->handle);
    else uv_unref(&w->handle);
  }
  return Napi::Number::New(info.Env(), 0);
}

static Napi::Value LiveExitWatches(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), live_watches.load());
}

void InitExitWatch(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "watchPidfd", WatchPidfd);
  Export(env, exports, "watchSignal", WatchSignal);
  Export(env, exports, "unwatch", Unwatch);
  Export(env, exports, "refWatch", RefWatch);
  Export(env, exports, "liveExitWatches", LiveExitWatches);
}

}  // namespace unixproc
