// fork(2) and forkpty(3) that continue in JavaScript.
//
// Why fork needs more than fork(2) here (measured in docs/research/fork-in-node.md):
// - V8's heap is MADV_DONTFORK: it is switched to MADV_DOFORK around the fork
//   (dont_fork.cc).
// - The V8 platform's worker threads and libuv's threadpool are parked first (park.cc),
//   after libuv's slow-I/O queue (DNS lookups) has been worked off.
// - Tasks posted in the child are never run, so the child's copy of the platform's queue
//   always has outstanding tasks, and Node's natural end (SpinEventLoop ->
//   NodePlatform::DrainTasks -> BlockingDrain) would wait for them forever; so would Node's
//   normal exit (it joins the worker threads). The child therefore never reaches either: a
//   process exit handler (node::SetProcessExitHandler) turns process.exit(),
//   process.reallyExit() and a fatal exception into _exit(2), and a loop guard
//   (child_loop.cc) plays Node's end sequence through JavaScript instead.
// - In the child, libuv's loop gets a new epoll fd, signal pipe and async handle
//   (uv_loop_fork) before anything touches it; async sends pending at the fork are sent
//   again (uv_loop_fork drops them). libuv's threadpool re-initialises itself through its
//   own pthread_atfork handler and starts again lazily.
// - In the child, the handles that watch the parent's children (process handles, pidfd
//   polls) are made inactive (inherited.cc): they are not the child's children.
//
// Man pages: fork(2), forkpty(3), login_tty(3), posix_openpt(3), ptsname(3), madvise(2),
// pthread_atfork(3).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

#include "dont_fork.h"
#include "fork_addon.h"
#include "inherited.h"
#include "park.h"

namespace unixproc {

// Reports a child-side failure on stderr and leaves: the child cannot run JS after it.
[[noreturn]] static void ChildFatal(const char* what, int err) {
  const char* msg = strerror(err);
  const char* prefix = "unixproc: fork child: ";
  ssize_t ignored = write(2, prefix, strlen(prefix));
  ignored = write(2, what, strlen(what));
  ignored = write(2, ": ", 2);
  ignored = write(2, msg, strlen(msg));
  ignored = write(2, "\n", 1);
  (void)ignored;
  _exit(70);  // EX_SOFTWARE
}

// uv_loop_fork clears the `pending` flag of every async handle (libuv unix/async.c,
// uv__async_fork), so an async send made before the fork is lost in the child. A
// threadpool completion waiting for the loop at that moment was then never delivered,
// and the child hung (seen in gdb: loop->wq non-empty, wq_async not pending). So the child
// notes which handles were pending before uv_loop_fork and sends them again after it.
static std::vector<uv_async_t*> PendingAsyncHandles(uv_loop_t* loop) {
  std::vector<uv_async_t*> out;
  const struct uv__queue* head = &loop->async_handles;
  for (const struct uv__queue* q = head->next; q != head; q = q->next) {
    const char* base = reinterpret_cast<const char*>(q) - offsetof(uv_async_t, queue);
    uv_async_t* h = const_cast<uv_async_t*>(reinterpret_cast<const uv_async_t*>(base));
    if (h->pending != 0) out.push_back(h);
  }
  return out;
}

// Where the last fork's time went, in the parent (bench/fork-cost.js reports it): parking
// the pools, reading smaps, MADV_DOFORK, fork(2) itself, MADV_DONTFORK and release.
enum Phase { kPark, kScan, kDoFork, kFork, kDontFork, kPhases };
static double g_last_phases[kPhases];
// Whether the last fork took its ranges from the layout cache (dont_fork.cc).
static bool g_last_cached = false;

static double NowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// do_fork is fork() or forkpty(); returns its pid (0 in the child) or -errno.
template <typename F>
static pid_t ForkNode(napi_env env, F do_fork) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return -EINVAL;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return -EINVAL;
  node::Environment* node_env = node::GetCurrentEnvironment(isolate->GetCurrentContext());
  if (node_env == nullptr) return -EINVAL;

  double t_park = NowMs();
  // EBUSY: threadpool work or V8 worker tasks still running after the timeout.
  bool timed_out = false;
  int pool_size = PoolSize();
  // Slow I/O (DNS lookups) first: the barriers below would overtake it (park.cc).
  if (!WaitSlowWork(loop, 5000)) return -EBUSY;
  ParkRef pool = ParkPool(loop, pool_size, 5000, &timed_out);
  if (timed_out) {
    ReleaseWorkers(pool);
    return -EBUSY;
  }
  ParkRef parked = ParkWorkers(2000, &timed_out);
  if (timed_out) {
    ReleaseWorkers(parked);
    ReleaseWorkers(pool);
    return -EBUSY;
  }

  double t_scan = NowMs();
  std::vector<Range> ranges, also;
  bool cached = false;
  int r = DontForkRangesForFork(&ranges, &also, &cached);
  if (r < 0) {
    ReleaseWorkers(parked);
    ReleaseWorkers(pool);
    return r;
  }
  double t_dofork = NowMs();
  size_t done = 0;
  r = AdviseAll(ranges, MADV_DOFORK, &done);
  if (r < 0) {
    std::vector<Range> undo(ranges.begin(), ranges.begin() + done);
    size_t ignored;
    AdviseAll(undo, MADV_DONTFORK, &ignored);
    ForgetLayout();
    ReleaseWorkers(parked);
    ReleaseWorkers(pool);
    return r;
  }
  // Best effort: the ranges that must be copied are switched above (dont_fork.cc).
  for (const Range& a : also) madvise(reinterpret_cast<void*>(a.start), a.end - a.start, MADV_DOFORK);

  double t_fork = NowMs();
  pid_t parent_pid = getpid();
  pid_t pid = do_fork();
  double t_dontfork = NowMs();
  if (pid == 0) {
    // The parked threads and their ParkState are the parent's; the child leaves them be.
    ForgetPlatformWorkers();
    // The child's ranges stay MADV_DOFORK: the parent's cache is not its own.
    ForgetLayout();
    // The pool barriers ran on threads the child does not have: their requests never
    // complete here. Unregister them (what uv__req_unregister does) so that they do not
    // keep the child's loop alive; libuv's own atfork handler restarts the pool.
    loop->active_reqs.count -= static_cast<unsigned int>(pool_size);
    std::vector<uv_async_t*> pending = PendingAsyncHandles(loop);
    int err = uv_loop_fork(loop);
    if (err != 0) ChildFatal("uv_loop_fork", -err);
    for (uv_async_t* h : pending) uv_async_send(h);
    // The parent's children are not this process's: their handles must neither keep the
    // loop alive nor call back (inherited.cc).
    NeutraliseInheritedHandles(loop, parent_pid);
    node::SetProcessExitHandler(node_env, [](node::Environment*, int code) {
      fflush(nullptr);
      _exit(code & 0xff);
    });
    return 0;
  }
  int fork_errno = errno;
  // The parent, whether or not the fork worked: V8's ranges go back to DONTFORK.
  size_t ignored;
  // After a fork planned from the cache, the layout is the cached one again (the same
  // ranges switched back and forth from it; if not, the next fork sees a different layout
  // and reads smaps): only a fork planned from smaps reads the layout it leaves.
  if (AdviseAll(ranges, MADV_DONTFORK, &ignored) != 0) ForgetLayout();
  else if (!cached) RememberLayout(ranges);
  ReleaseWorkers(parked);
  ReleaseWorkers(pool);
  double t_end = NowMs();
  g_last_cached = cached;
  g_last_phases[kPark] = t_scan - t_park;
  g_last_phases[kScan] = t_dofork - t_scan;
  g_last_phases[kDoFork] = t_fork - t_dofork;
  g_last_phases[kFork] = t_dontfork - t_fork;
  g_last_phases[kDontFork] = t_end - t_dontfork;
  return pid < 0 ? -fork_errno : pid;
}

// fork() -> pid in the parent, 0 in the child, or -errno.
static Napi::Value Fork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = ForkNode(env, [] { return fork(); });
  return Napi::Number::New(env, pid);
}

// openpty(3) without its termios/winsize arguments: a new pseudoterminal pair, the master
// close-on-exec. Built on posix_openpt(3) rather than called: openpty and forkpty moved
// from libutil into libc in glibc 2.34 (new symbol versions, and libutil is not loaded
// into Node on older systems), while posix_openpt, grantpt, unlockpt and ptsname_r are in
// every glibc and musl (native/glibc_versions.h).
static int OpenPty(int* master_out, int* slave_out) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -1;
  char name[128];
  if (grantpt(master) != 0 || unlockpt(master) != 0 ||
      ptsname_r(master, name, sizeof name) != 0) {
    int err = errno;
    close(master);
    errno = err;
    return -1;
  }
  int slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) {
    int err = errno;
    close(master);
    errno = err;
    return -1;
  }
  *master_out = master;
  *slave_out = slave;
  return 0;
}

// login_tty(3) in the child: a new session with the slave as its controlling terminal
// and as fds 0..2. Only async-signal-safe calls (the child of a threaded parent).
static int LoginTty(int slave) {
  if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) return -1;
  for (int fd = 0; fd < 3; fd++) {
    if (dup2(slave, fd) < 0) return -1;
  }
  if (slave > 2) close(slave);
  return 0;
}

// forkpty(3): fork with the child on a new pseudoterminal; the master in *master.
static pid_t ForkPtyCall(int* master) {
  int slave = -1;
  if (OpenPty(master, &slave) < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(*master);
    if (LoginTty(slave) < 0) ChildFatal("login_tty", errno);
    return 0;
  }
  int err = errno;
  close(slave);
  if (pid < 0) close(*master);
  errno = err;
  return pid;
}

// forkpty() -> [pid, masterFd] in the parent, [0, -1] in the child, or -errno.
// The master is close-on-exec in the parent (Python makes it non-inheritable too); the
// child has the slave as its controlling terminal on fds 0..2 (login_tty(3)).
static Napi::Value ForkPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int master = -1;
  pid_t pid = ForkNode(env, [&] { return ForkPtyCall(&master); });
  if (pid < 0) return Napi::Number::New(env, pid);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, pid));
  out.Set(1u, Napi::Number::New(env, pid == 0 ? -1 : master));
  return out;
}

// lastForkPhases() -> [park, scan, dofork, fork, dontfork] in ms, of the last fork made by
// this process (zeros before the first). Diagnostics for bench/fork-cost.js.
static Napi::Value LastForkPhases(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env(), kPhases);
  for (uint32_t i = 0; i < kPhases; i++) out.Set(i, Napi::Number::New(info.Env(), g_last_phases[i]));
  return out;
}

// lastForkCached() -> whether the last fork took its DONTFORK ranges from the layout cache
// instead of reading smaps (tests, bench/fork-cost.js).
static Napi::Value LastForkCached(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), g_last_cached);
}

void InitFork(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "lastForkPhases", LastForkPhases);
  Export(env, exports, "lastForkCached", LastForkCached);
  Export(env, exports, "forkNode", Fork);
  Export(env, exports, "forkptyNode", ForkPty);
}

}  // namespace unixproc
