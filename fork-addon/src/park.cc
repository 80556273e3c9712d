// Parking the V8 platform's worker threads and libuv's threadpool around a fork.
//
// - The V8 platform's worker threads do not exist in the child (pthread_atfork(3): only the
//   forking thread is copied). An idle worker waits on the platform's task-queue condvar;
//   copied into the child with such phantom waiters, that condvar can block the child's
//   next post to the queue forever (glibc must wait for the phantoms to leave their group
//   when it switches groups). V8 posts to that queue even with --single-threaded (every
//   full GC posts a ParallelClearingJob task, seen in gdb). So every worker thread is first
//   parked in a task of ours, where it waits on our own condvar and holds nothing of
//   Node's or V8's, and is released in the parent after the fork.
// - Work running in libuv's threadpool at the moment of fork is lost in the child (its
//   threads are not copied), and its request would keep the child's loop alive forever.
//   So before the fork one blocking work item per pool thread is queued and the fork waits
//   until every thread runs one: the queue is FIFO, so all work queued earlier has then
//   finished (its callback is pending on the loop, and runs in the parent and in the
//   child, as a pending timer does).
// - Slow I/O (getaddrinfo, getnameinfo: dns.lookup, dns.lookupService) is not in that
//   FIFO: libuv 1.46 (threadpool.c) keeps it in a queue of its own, run by at most half the
//   threads, and puts its turn back at the tail of the main queue after each item, so the
//   barriers overtake it and parking could complete with lookups still queued; the pool's
//   queues are emptied in the child (init_threads after fork) and those lookups never
//   completed there (the child hung). So before the barriers, one slow item of ours (a
//   numeric getaddrinfo of 127.0.0.1, which returns at once) is queued behind the slow
//   work, and the fork waits until it has run: slow items are taken in order, so every
//   slow item queued before it has then been taken; the barriers that follow make sure it
//   has also finished (a parked thread runs nothing else).
#include "park.h"

#include <netdb.h>
#include <sys/socket.h>
#include <time.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "fork_addon.h"

namespace unixproc {

namespace {

class ParkTask : public v8::Task {
 public:
  explicit ParkTask(ParkRef state) : state_(std::move(state)) {}
  void Run() override {
    uv_mutex_lock(&state_->mutex);
    // The spare task, run after the fork, finds the state released: nothing to wait for.
    if (!state_->released) {
      state_->parked++;
      uv_cond_broadcast(&state_->cv);
      while (!state_->released) uv_cond_wait(&state_->cv, &state_->mutex);
    }
    uv_mutex_unlock(&state_->mutex);
  }

 private:
  ParkRef state_;
};

// Waits, with state->mutex held, until state->parked reaches n or timeout_ms has passed;
// false on timeout.
bool WaitParked(ParkState* state, int n, int timeout_ms) {
  const uint64_t deadline = uv_hrtime() + static_cast<uint64_t>(timeout_ms) * 1000000u;
  while (state->parked < n) {
    uint64_t now = uv_hrtime();
    if (now >= deadline) return false;
    uv_cond_timedwait(&state->cv, &state->mutex, deadline - now);
  }
  return true;
}

// A forked child has none of the platform's worker threads: parking there would wait for
// threads that do not exist. The kernel cannot tell us this, so it is remembered here; it
// is only ever set in a child.
bool g_platform_workers_gone = false;

struct PoolBarrier {
  uv_work_t req;
  ParkRef state;
};

void PoolBarrierWork(uv_work_t* req) {
  auto* barrier = static_cast<PoolBarrier*>(req->data);
  ParkTask(barrier->state).Run();
}

void PoolBarrierDone(uv_work_t* req, int) { delete static_cast<PoolBarrier*>(req->data); }

// The slow-work sentinel: freed by its callback, which runs in the parent and, if the
// fork happened after it ran, in the child too (each frees its own copy).
struct SlowSentinel {
  uv_getaddrinfo_t req;
};

void SlowSentinelDone(uv_getaddrinfo_t* req, int, struct addrinfo* res) {
  uv_freeaddrinfo(res);
  delete reinterpret_cast<SlowSentinel*>(req);
}

// Whether the sentinel's work has run: libuv clears work_req.work under loop->wq_mutex
// when a pool thread has finished it (threadpool.c worker(), as uv_cancel reads it).
bool SentinelRan(uv_loop_t* loop, SlowSentinel* s) {
  uv_mutex_lock(&loop->wq_mutex);
  bool ran = s->req.work_req.work == nullptr;
  uv_mutex_unlock(&loop->wq_mutex);
  return ran;
}

}  // namespace

bool WaitSlowWork(uv_loop_t* loop, int timeout_ms) {
  auto* s = new SlowSentinel();
  struct addrinfo hints {};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  if (uv_getaddrinfo(loop, &s->req, SlowSentinelDone, "127.0.0.1", nullptr, &hints) != 0) {
    delete s;
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  long pause_ns = 20000;
  while (!SentinelRan(loop, s)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;  // freed by its callback
    struct timespec ts = {0, pause_ns};
    nanosleep(&ts, nullptr);
    if (pause_ns < 1000000) pause_ns *= 2;
  }
  return true;
}

void ForgetPlatformWorkers() { g_platform_workers_gone = true; }

ParkRef ParkWorkers(int timeout_ms, bool* timed_out) {
  *timed_out = false;
  if (g_platform_workers_gone) return nullptr;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return nullptr;
  node::Environment* env = node::GetCurrentEnvironment(isolate->GetCurrentContext());
  if (env == nullptr) return nullptr;
  v8::Platform* platform = node::GetMultiIsolatePlatform(env);
  if (platform == nullptr) return nullptr;
  // Node counts its DelayedTaskScheduler thread among the "worker threads"
  // (node_platform.cc: WorkerThreadsTaskRunner::NumberOfWorkerThreads is threads_.size())
  // and that thread runs no tasks, so n - 1 threads take tasks. n tasks are posted, so
  // that a Node that counts exactly still has every worker parked; the spare returns at
  // once when it runs after the release.
  int n = platform->NumberOfWorkerThreads();
  int expected = n - 1;
  if (expected <= 0) return nullptr;
  ParkRef state = ParkRef::New();
  for (int i = 0; i < n; i++) platform->CallOnWorkerThread(std::make_unique<ParkTask>(state));
  uv_mutex_lock(&state->mutex);
  if (!WaitParked(state.get(), expected, timeout_ms)) *timed_out = true;
  uv_mutex_unlock(&state->mutex);
  return state;
}

void ReleaseWorkers(const ParkRef& state) {
  if (!state) return;
  uv_mutex_lock(&state->mutex);
  state->released = true;
  uv_cond_broadcast(&state->cv);
  uv_mutex_unlock(&state->mutex);
}

// libuv sizes its pool from UV_THREADPOOL_SIZE once, when the pool starts (1.46
// threadpool.c init_threads: `nthreads = atoi(val)` into an unsigned int, 0 -> 1, capped at
// MAX_THREADPOOL_SIZE 1024, so a negative value means 1024 threads). The environment is
// read here the same way, once per process (at the fork addon's load, on the first fork),
// so that a later change of process.env.UV_THREADPOOL_SIZE, which libuv never sees, is not
// seen here either.
static unsigned int ParsePoolSize(const char* v) {
  unsigned int n = 4;  // libuv's default_threads
  if (v != nullptr) n = static_cast<unsigned int>(atoi(v));
  if (n == 0) n = 1;
  if (n > 1024) n = 1024;
  return n;
}

static const unsigned int g_pool_size = ParsePoolSize(getenv("UV_THREADPOOL_SIZE"));

int PoolSize() { return static_cast<int>(g_pool_size); }

ParkRef ParkPool(uv_loop_t* loop, int n, int timeout_ms, bool* timed_out) {
  *timed_out = false;
  ParkRef state = ParkRef::New();
  for (int i = 0; i < n; i++) {
    auto* barrier = new PoolBarrier();
    barrier->state = state;
    barrier->req.data = barrier;
    if (uv_queue_work(loop, &barrier->req, PoolBarrierWork, PoolBarrierDone) != 0) {
      delete barrier;
      *timed_out = true;
      return state;
    }
  }
  uv_mutex_lock(&state->mutex);
  if (!WaitParked(state.get(), n, timeout_ms)) *timed_out = true;
  uv_mutex_unlock(&state->mutex);
  return state;
}

}  // namespace unixproc
