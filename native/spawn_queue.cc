// The spawn queue (issue 15, item 1): spawnChild's work on a thread of this library's own,
// so that the event loop's thread is never suspended while a CLONE_VFORK child runs up to
// its exec (native/child.cc). The loop only queues a request and later gets its result.
//
//   spawnQueue(dispatch) -> External     one per environment (the main thread, a Worker);
//                                        dispatch(id, result) is called from its event loop
//   spawnChildQueued(queue, id, ...spawnChild's arguments) -> 0 or -errno
//                                        EINVAL (malformed, nothing queued), EAGAIN (full)
//   spawnQueueRef(queue, ref)            keep the loop alive while results are owed, or not
//   spawnQueueClaim(queue)               called by dispatch first: the result is JS's now
//
// The thread:
// - is one for the whole process, started at the first request and never ended: a child's
//   PR_SET_PDEATHSIG fires when the *thread* that created it ends (prctl(2); golang/go#27505),
//   so the creating thread must live as long as the process. Not libuv's threadpool, which
//   user work (fs, dns, crypto) can fill.
// - blocks every signal but glibc's two internal ones (no handler of the application ever
//   runs on it; native/child.cc blocks those two as well across each clone, so no handler
//   can run in a child sharing its memory). SIGSETXID (33) must stay deliverable:
//   setuid(), seteuid() and friends (process.setuid, process.seteuid...) signal every
//   thread of the process with it and wait until each has run glibc's handler (nptl(7)):
//   blocked here, they waited forever (a CI run hung in process.seteuid). SIGCANCEL (32)
//   is pthread_cancel's, which nobody calls on this thread.
// - takes requests in the order they were queued, one at a time: children start in order,
//   and results come back in that order.
// The queue is bounded (kCapacity requests waiting, running or not yet delivered, for the
// whole process):
// a request beyond it is refused with EAGAIN, nothing is queued without limit.
//
// The addon is pinned in memory (RTLD_NODELETE) before the thread starts: Node unloads an
// addon that only a Worker had loaded when the Worker ends, and the thread runs its code.
//
// A result whose environment has gone away (a Worker ended with spawns in flight) is not
// left running: the child is killed with SIGKILL through its pidfd, reaped by its pid (it is
// this process's child) and its fds closed, on whichever thread finds it orphaned.
//
// libuv's thread, mutex and condition variable, and lists of its own: std::thread,
// std::condition_variable, pthread_create and std::deque would name symbol versions above
// what the prebuilds may (native/glibc_versions.h).
//
// fork() (unixproc/os, the fork addon): the child has none of the parent's threads. The
// mutex is held across fork (pthread_atfork), and the child starts with an empty queue and
// no thread; requests of the parent's that were queued are not its own (lib/spawn/queued.ts
// rejects them in the child).
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <sys/prctl.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "addon.h"
#include "child_job.h"

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

namespace unixproc {

namespace {

constexpr size_t kCapacity = 1024;
// glibc's internal signals on Linux (nptl/pthreadP.h: SIGCANCEL __SIGRTMIN, SIGSETXID
// __SIGRTMIN + 1); SIGRTMIN, the application's first, is 34 because of them.
constexpr int kSigCancel = 32;
constexpr int kSigSetxid = 33;

struct Client;

struct Request {
  std::unique_ptr<ChildJob> job;
  ChildResult result;
  double id = 0;
  Client* client = nullptr;
  Request* next = nullptr;
};

// A FIFO of requests, linked through Request::next.
struct List {
  Request* head = nullptr;
  Request* tail = nullptr;
  bool empty() const { return head == nullptr; }
  void push(Request* r) {
    r->next = nullptr;
    if (tail != nullptr) tail->next = r;
    else head = r;
    tail = r;
  }
  Request* pop() {
    Request* r = head;
    if (r != nullptr) {
      head = r->next;
      if (head == nullptr) tail = nullptr;
      r->next = nullptr;
    }
    return r;
  }
};

// One per environment. Shared by the environment (until its handle is closed) and by each
// of its requests that the thread still holds: refs, under g.mutex.
struct Client {
  uv_async_t async;
  napi_env env = nullptr;
  Napi::FunctionReference dispatch;
  napi_async_context context = nullptr;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  List done;                                  // under g.mutex
  bool open = true;                           // under g.mutex: false once the env goes away
  int refs = 1;                               // under g.mutex
  bool closing = false;                       // loop thread only
  bool claimed = false;                       // loop thread only: see OnAsync
};

struct State {
  uv_mutex_t mutex;
  uv_cond_t wake;
  List waiting;
  size_t count = 0;  // waiting, running, and made but not yet delivered
  bool started = false;
  State() {
    uv_mutex_init(&mutex);
    uv_cond_init(&wake);
  }
};

struct Lock {
  uv_mutex_t* m;
  explicit Lock(uv_mutex_t* mutex) : m(mutex) { uv_mutex_lock(m); }
  ~Lock() { uv_mutex_unlock(m); }
};

// Never destroyed: the thread may outlive every environment (process exit).
State* g = new State();

// Ends a child nobody will own: SIGKILL, reaped by its pid, fds closed.
void Discard(const ChildResult& r) {
  if (r.sys_err != 0 || r.step != 0 || r.pid <= 0) return;
  if (r.pidfd < 0 || syscall(SYS_pidfd_send_signal, r.pidfd, SIGKILL, nullptr, 0) < 0) kill(r.pid, SIGKILL);
  int status = 0;
  while (waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (r.pidfd >= 0) close(r.pidfd);
  for (int fd : r.fds) {
    if (fd >= 0) close(fd);
  }
}

// Drops one reference (g->mutex held by the caller): true when the client is to be freed.
bool Unref(Client* c) { return --c->refs == 0; }

void ThreadMain(void*) {
  prctl(PR_SET_NAME, "unixproc-spawn");
  for (;;) {
    std::unique_ptr<Request> req;
    {
      Lock lock(&g->mutex);
      while (g->waiting.empty()) uv_cond_wait(&g->wake, &g->mutex);
      req.reset(g->waiting.pop());
    }
    RunChildJob(*req->job, &req->result);
    req->job.reset();  // its strings, before the result travels
    Client* c = req->client;
    bool orphaned = false;
    bool free_client = false;
    {
      Lock lock(&g->mutex);
      if (c->open) {
        c->done.push(req.release());  // counted until delivered
        uv_async_send(&c->async);  // safe: the handle is closed only after open is false
      } else {
        g->count--;
        orphaned = true;
      }
      free_client = Unref(c);
    }
    if (orphaned) Discard(req->result);
    if (free_client) delete c;
  }
}

// Keeps this addon mapped for as long as the process lives: the thread runs its code, and
// Node unloads (dlclose) an addon that only a Worker had loaded when that Worker ends.
// dlopen of our own file with RTLD_NODELETE (RTLD_NOLOAD: it is loaded already).
int PinAddon() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PinAddon), &info) == 0 || info.dli_fname == nullptr) return ENOENT;
  return dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != nullptr ? 0 : ENOENT;
}

// Starts the thread (g->mutex held), with every signal blocked from its first instruction.
int StartThread() {
  if (g->started) return 0;
  if (PinAddon() != 0) return ENOSYS;
  // The new thread inherits this mask: every signal but glibc's SIGCANCEL and SIGSETXID.
  // Bits cleared by hand: glibc's sigdelset refuses its internal signals (EINVAL). The
  // kernel's sigset is a bit array, signal n at bit n - 1 (of the first 64-bit word here).
  sigset_t all, old;
  std::memset(&all, 0xff, sizeof all);
  uint64_t first;
  std::memcpy(&first, &all, sizeof first);
  first &= ~((uint64_t{1} << (kSigCancel - 1)) | (uint64_t{1} << (kSigSetxid - 1)));
  std::memcpy(&all, &first, sizeof first);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 256 * 1024;
  static uv_thread_t thread;  // never joined: the thread lives as long as the process
  const int rc = uv_thread_create_ex(&thread, &options, ThreadMain, nullptr);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, _NSIG / 8);
  if (rc != 0) return -rc;
  g->started = true;
  return 0;
}

void AtForkPrepare() { uv_mutex_lock(&g->mutex); }
void AtForkParent() { uv_mutex_unlock(&g->mutex); }
// The child: no thread, and the parent's requests are not its own (their memory is left).
void AtForkChild() { g = new State(); }
bool atfork_registered = false;  // the loop thread of an environment only

void OnAsync(uv_async_t* handle) {
  Client* c = static_cast<Client*>(handle->data);
  if (c->closing) return;
  List batch;
  {
    Lock lock(&g->mutex);
    batch = c->done;
    c->done = List();
    for (Request* r = batch.head; r != nullptr; r = r->next) g->count--;
  }
  Napi::Env env(c->env);
  while (!batch.empty()) {
    std::unique_ptr<Request> r(batch.pop());
    Napi::HandleScope scope(env);
    napi_value argv[2] = {Napi::Number::New(env, r->id), ChildResultToJs(env, r->result)};
    napi_value out = nullptr;  // dispatch returns nothing
    // dispatch claims the result (spawnQueueClaim) before it does anything with it. Its
    // return value cannot tell: a Worker's terminate() from another thread stops JS anywhere,
    // and the call then fails although JS may already hold the fds (a Subprocess polling
    // its pidfd: closing that fd here made libuv abort on EBADF in the Worker's teardown).
    // Unclaimed (JS could not run, or was stopped before the claim), the child is nobody's.
    c->claimed = false;
    napi_status s = napi_make_callback(c->env, c->context, env.Global(), c->dispatch.Value(), 2, argv, &out);
    if (!c->claimed) Discard(r->result);
    c->claimed = false;
    if (s == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(c->env, &error);
      napi_fatal_exception(c->env, error);
    }
  }
}

void OnClosed(uv_handle_t* handle) {
  Client* c = static_cast<Client*>(handle->data);
  if (c->cleanup != nullptr) napi_remove_async_cleanup_hook(c->cleanup);
  c->cleanup = nullptr;
  bool free_client;
  {
    Lock lock(&g->mutex);
    free_client = Unref(c);
  }
  if (free_client) delete c;
}

// The environment goes away: no result is delivered any more; those owed are discarded.
void AsyncCleanup(napi_async_cleanup_hook_handle, void* arg) {
  Client* c = static_cast<Client*>(arg);
  List owed;
  {
    Lock lock(&g->mutex);
    c->open = false;
    owed = c->done;
    c->done = List();
    for (Request* r = owed.head; r != nullptr; r = r->next) g->count--;
  }
  while (!owed.empty()) {
    std::unique_ptr<Request> r(owed.pop());
    Discard(r->result);
  }
  if (c->context != nullptr) napi_async_destroy(c->env, c->context);
  c->context = nullptr;
  c->dispatch.Reset();
  c->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->async), OnClosed);
}

Napi::Value SpawnQueue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) return NegErrno(env, EINVAL);
  if (!atfork_registered) {
    Lock lock(&g->mutex);
    if (!atfork_registered) pthread_atfork(AtForkPrepare, AtForkParent, AtForkChild);
    atfork_registered = true;
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return NegErrno(env, EINVAL);
  auto* c = new Client();
  c->env = env;
  int r = uv_async_init(loop, &c->async, OnAsync);
  if (r != 0) {
    delete c;
    return NegErrno(env, -r);
  }
  c->async.data = c;
  uv_unref(reinterpret_cast<uv_handle_t*>(&c->async));
  c->dispatch = Napi::Persistent(info[0].As<Napi::Function>());
  napi_async_init(env, nullptr, Napi::String::New(env, "unixproc.spawnQueue"), &c->context);
  napi_add_async_cleanup_hook(env, AsyncCleanup, c, &c->cleanup);
  // The External only names the client: the client lives until the environment's end.
  return Napi::External<Client>::New(env, c);
}

Client* ClientOf(Napi::Value v) {
  if (!v.IsExternal()) return nullptr;
  return v.As<Napi::External<Client>>().Data();
}

// spawnChildQueued(candidates, argv, envp, cwd, config, extraEnv, limits, groups, queue, id)
Napi::Value SpawnChildQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Client* c = ClientOf(info[8]);
  if (c == nullptr || c->closing || !info[9].IsNumber()) return NegErrno(env, EINVAL);
  auto req = std::make_unique<Request>();
  req->job = std::make_unique<ChildJob>();
  const int rc = ReadChildJob(info, req->job.get());
  if (rc != 0) return NegErrno(env, rc);
  req->id = info[9].As<Napi::Number>().DoubleValue();
  req->client = c;
  Lock lock(&g->mutex);
  if (g->count >= kCapacity) return NegErrno(env, EAGAIN);
  const int started = StartThread();
  if (started != 0) return NegErrno(env, started);
  c->refs++;
  g->count++;
  g->waiting.push(req.release());
  uv_cond_signal(&g->wake);
  return Napi::Number::New(env, 0);
}

// spawnQueueClaim(queue): dispatch takes the result being delivered (see OnAsync).
Napi::Value SpawnQueueClaim(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Client* c = ClientOf(info[0]);
  if (c == nullptr) return NegErrno(env, EINVAL);
  c->claimed = true;
  return Napi::Number::New(env, 0);
}

Napi::Value SpawnQueueRef(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Client* c = ClientOf(info[0]);
  if (c == nullptr || !info[1].IsBoolean()) return NegErrno(env, EINVAL);
  if (c->closing) return Napi::Number::New(env, 0);
  auto* h = reinterpret_cast<uv_handle_t*>(&c->async);
  if (info[1].As<Napi::Boolean>().Value()) uv_ref(h);
  else uv_unref(h);
  return Napi::Number::New(env, 0);
}

}  // namespace

void InitSpawnQueue(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "spawnQueue", SpawnQueue);
  Export(env, exports, "spawnChildQueued", SpawnChildQueued);
  Export(env, exports, "spawnQueueRef", SpawnQueueRef);
  Export(env, exports, "spawnQueueClaim", SpawnQueueClaim);
}

}  // namespace unixproc
