// fork(2) that continues in JavaScript, forkpty(3), execve(2)/fexecve(3) that leave no
// Node state behind, and the fd flag calls behind Python's get/set_inheritable and
// get/set_blocking (fcntl(2)).
//
// Why fork needs more than fork(2) here (measured in research/fork-in-node.md):
// - V8 (Node >= 20.4) marks its heap reservations MADV_DONTFORK (madvise(2)); a plain fork
//   child has no JS heap. Around the fork those ranges are switched to MADV_DOFORK and
//   switched back in the parent. They are found in /proc/self/smaps (VmFlags `dc`,
//   proc(5)); reading it is the main cost of a fork (the kernel walks every page table).
// - The V8 platform's worker threads do not exist in the child (pthread_atfork(3): only the
//   forking thread is copied). An idle worker waits on the platform's task-queue condvar;
//   copied into the child with such phantom waiters, that condvar can block the child's
//   next post to the queue forever (glibc must wait for the phantoms to leave their group
//   when it switches groups). V8 posts to that queue even with --single-threaded (every
//   full GC posts a ParallelClearingJob task, seen in gdb). So every worker thread is first
//   parked in a task of ours (ParkWorkers), where it waits on our own condvar and holds
//   nothing of Node's or V8's, and is released in the parent after the fork.
// - Tasks posted in the child are never run, so the child's copy of the queue always has
//   outstanding tasks, and Node's natural end (SpinEventLoop -> NodePlatform::DrainTasks ->
//   BlockingDrain) would wait for them forever; so would Node's normal exit (it joins the
//   worker threads). The child therefore never reaches either: a process exit handler
//   (node::SetProcessExitHandler) turns process.exit(), process.reallyExit() and a fatal
//   exception into _exit(2), and a loop guard (GuardChildLoop) notices when only the guard
//   keeps the loop alive and plays Node's end sequence ('beforeExit', then process.exit())
//   through JavaScript instead.
// - In the child, libuv's loop gets a new epoll fd, signal pipe and async handle
//   (uv_loop_fork) before anything touches it; async sends pending at the fork are sent
//   again (uv_loop_fork drops them). libuv's threadpool re-initialises itself through its
//   own pthread_atfork handler and starts again lazily; work that was running in it would
//   be lost, so the fork first waits until every pool thread is idle in a barrier (ParkPool).
//
// exec: before execve, undo what Node did to the process (libuv's uv__process_child_init is
// the reference): fds 0..2 inheritable and blocking, TTY mode reset (uv_tty_reset_mode),
// ignored signals (SIGPIPE, SIGXFSZ, ...) back to SIG_DFL, empty signal mask, every fd >= 3
// close-on-exec unless the caller keeps it. Handled signals need no reset: execve(2) resets
// them itself, and leaving them alone means no SIGCHLD is lost if the exec fails. If every
// exec attempt fails, the exact previous state is put back and the errnos are returned.
//
// Man pages: fork(2), madvise(2), proc(5), pthread_atfork(3), execve(2), fexecve(3),
// forkpty(3), login_tty(3), fcntl(2), sigaction(2), sigprocmask(2), termios(3).
#include <dirent.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

// node.h (needed for the V8 platform and the process exit handler) defines the runtime's
// NAPI_VERSION; the addon is built against the one binding.gyp sets, so node.h sees its
// own and ours is put back afterwards.
#pragma push_macro("NAPI_VERSION")
#undef NAPI_VERSION
#include <node.h>
#include <v8-platform.h>
#undef NAPI_VERSION
#pragma pop_macro("NAPI_VERSION")

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>


#include <cstddef>
#include <cstring>
#include <vector>

#include "addon.h"
#include "child_setup.h"

namespace unixproc {

// ---------------------------------------------------------------------------------------
// Finding V8's MADV_DONTFORK ranges.

struct Range {
  uintptr_t start;
  uintptr_t end;
};

// /proc/self/smaps is the only place the kernel reports VM_DONTCOPY (`dc`). Reading it costs
// a page-table walk per mapping (that is what makes it slow on a large heap), so it is read
// with one large buffer and a minimal parser that looks only at the header line and the
// VmFlags line of each mapping.
static int FindDontForkRanges(std::vector<Range>* out) {
  int fd = RetryEintr([] { return open("/proc/self/smaps", O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return -errno;
  static thread_local std::vector<char> buf;
  if (buf.empty()) buf.resize(1 << 20);
  size_t used = 0;
  for (;;) {
    if (buf.size() - used < 65536) buf.resize(buf.size() * 2);
    ssize_t n = RetryEintr([&] { return read(fd, buf.data() + used, buf.size() - used); });
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  uintptr_t start = 0, end = 0;
  const char* p = buf.data();
  const char* limit = p + used;
  while (p < limit) {
    const char* eol = static_cast<const char*>(memchr(p, '\n', limit - p));
    if (eol == nullptr) eol = limit;
    char c = *p;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      // "start-end perms offset dev inode path": a new mapping.
      char* dash = nullptr;
      start = strtoull(p, &dash, 16);
      end = (dash != nullptr && *dash == '-') ? strtoull(dash + 1, nullptr, 16) : 0;
    } else if (c == 'V' && eol - p > 8 && memcmp(p, "VmFlags:", 8) == 0) {
      for (const char* q = p + 8; q + 2 <= eol; q += 3) {
        // Flags are two letters, each preceded by one space.
        if (q[0] == ' ' && q + 3 <= eol && q[1] == 'd' && q[2] == 'c') {
          // Adjacent ranges are merged: one madvise(2) call each way instead of many.
          if (end <= start) break;
          if (!out->empty() && out->back().end == start) out->back().end = end;
          else out->push_back({start, end});
          break;
        }
      }
    }
    p = eol + 1;
  }
  return 0;
}

static int AdviseAll(const std::vector<Range>& ranges, int advice, size_t* done) {
  for (*done = 0; *done < ranges.size(); (*done)++) {
    const Range& r = ranges[*done];
    if (madvise(reinterpret_cast<void*>(r.start), r.end - r.start, advice) != 0) return -errno;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// Parking the V8 platform's worker threads around a fork.

struct ParkState {
  std::mutex mutex;
  std::condition_variable cv;
  int parked = 0;
  bool released = false;
};

class ParkTask : public v8::Task {
 public:
  explicit ParkTask(std::shared_ptr<ParkState> state) : state_(std::move(state)) {}
  void Run() override {
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (state_->released) return;  // the spare task, run after the fork: nothing to wait for
    state_->parked++;
    state_->cv.notify_all();
    state_->cv.wait(lock, [this] { return state_->released; });
  }

 private:
  std::shared_ptr<ParkState> state_;
};

// A forked child has none of the platform's worker threads: parking there would wait for
// threads that do not exist. The kernel cannot tell us this, so it is remembered here; it
// is only ever set in a child.
static bool g_platform_workers_gone = false;

static node::Environment* CurrentEnvironment() {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return nullptr;
  return node::GetCurrentEnvironment(isolate->GetCurrentContext());
}

// Posts blocking tasks to the worker threads and waits until each thread runs one.
// Returns the state to release (nullptr: nothing to park). *timed_out when the workers did
// not all arrive in time (busy with long tasks): the caller releases them and fails.
static std::shared_ptr<ParkState> ParkWorkers(int timeout_ms, bool* timed_out) {
  *timed_out = false;
  if (g_platform_workers_gone) return nullptr;
  node::Environment* env = CurrentEnvironment();
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
  auto state = std::make_shared<ParkState>();
  for (int i = 0; i < n; i++) platform->CallOnWorkerThread(std::make_unique<ParkTask>(state));
  std::unique_lock<std::mutex> lock(state->mutex);
  if (!state->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [&] { return state->parked >= expected; })) {
    *timed_out = true;
  }
  return state;
}

static void ReleaseWorkers(const std::shared_ptr<ParkState>& state) {
  if (!state) return;
  std::lock_guard<std::mutex> lock(state->mutex);
  state->released = true;
  state->cv.notify_all();
}

// ---------------------------------------------------------------------------------------
// Quiescing libuv's threadpool around a fork.
//
// Work running in the threadpool at the moment of fork is lost in the child (its threads are
// not copied), and its request would keep the child's loop alive forever. So before the fork
// one blocking work item per pool thread is queued and the fork waits until every thread
// runs one: the queue is FIFO, so all work queued earlier has then finished (its callback is
// pending on the loop, and runs in the parent and in the child, as a pending timer does).

struct PoolBarrier {
  uv_work_t req;
  std::shared_ptr<ParkState> state;
};

static void PoolBarrierWork(uv_work_t* req) {
  auto* barrier = static_cast<PoolBarrier*>(req->data);
  ParkTask(barrier->state).Run();
}

static void PoolBarrierDone(uv_work_t* req, int) { delete static_cast<PoolBarrier*>(req->data); }

// libuv sizes its pool from UV_THREADPOOL_SIZE once (threadpool.c: init_threads).
static int PoolSize() {
  const char* v = getenv("UV_THREADPOOL_SIZE");
  int n = v == nullptr ? 4 : atoi(v);
  if (n <= 0) n = 1;
  if (n > 1024) n = 1024;
  return n;
}

// Returns the state to release; *timed_out when the pool stayed busy for timeout_ms.
static std::shared_ptr<ParkState> ParkPool(uv_loop_t* loop, int n, int timeout_ms, bool* timed_out) {
  *timed_out = false;
  auto state = std::make_shared<ParkState>();
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
  std::unique_lock<std::mutex> lock(state->mutex);
  if (!state->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [&] { return state->parked >= n; })) {
    *timed_out = true;
  }
  return state;
}

// ---------------------------------------------------------------------------------------
// The fork itself.

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

// do_fork is fork() or forkpty(); returns its pid (0 in the child) or -errno.
template <typename F>
static pid_t ForkNode(napi_env env, F do_fork) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return -EINVAL;
  node::Environment* node_env = CurrentEnvironment();
  if (node_env == nullptr) return -EINVAL;

  // EBUSY: threadpool work or V8 worker tasks still running after the timeout.
  bool timed_out = false;
  int pool_size = PoolSize();
  std::shared_ptr<ParkState> pool = ParkPool(loop, pool_size, 5000, &timed_out);
  if (timed_out) {
    ReleaseWorkers(pool);
    return -EBUSY;
  }
  std::shared_ptr<ParkState> parked = ParkWorkers(2000, &timed_out);
  if (timed_out) {
    ReleaseWorkers(parked);
    ReleaseWorkers(pool);
    return -EBUSY;
  }

  std::vector<Range> ranges;
  int r = FindDontForkRanges(&ranges);
  if (r < 0) {
    ReleaseWorkers(parked);
    ReleaseWorkers(pool);
    return r;
  }
  size_t done = 0;
  r = AdviseAll(ranges, MADV_DOFORK, &done);
  if (r < 0) {
    std::vector<Range> undo(ranges.begin(), ranges.begin() + done);
    size_t ignored;
    AdviseAll(undo, MADV_DONTFORK, &ignored);
    ReleaseWorkers(parked);
    ReleaseWorkers(pool);
    return r;
  }

  pid_t pid = do_fork();
  if (pid == 0) {
    // The parked threads and their ParkState are the parent's; the child leaves them be.
    g_platform_workers_gone = true;
    // The pool barriers ran on threads the child does not have: their requests never
    // complete here. Unregister them (what uv__req_unregister does) so that they do not
    // keep the child's loop alive; libuv's own atfork handler restarts the pool.
    loop->active_reqs.count -= static_cast<unsigned int>(pool_size);
    std::vector<uv_async_t*> pending = PendingAsyncHandles(loop);
    int err = uv_loop_fork(loop);
    if (err != 0) ChildFatal("uv_loop_fork", -err);
    for (uv_async_t* h : pending) uv_async_send(h);
    node::SetProcessExitHandler(node_env, [](node::Environment*, int code) {
      fflush(nullptr);
      _exit(code & 0xff);
    });
    return 0;
  }
  int fork_errno = errno;
  // The parent, whether or not the fork worked: V8's ranges go back to DONTFORK.
  size_t ignored;
  AdviseAll(ranges, MADV_DONTFORK, &ignored);
  ReleaseWorkers(parked);
  ReleaseWorkers(pool);
  return pid < 0 ? -fork_errno : pid;
}

// fork() -> pid in the parent, 0 in the child, or -errno.
static Napi::Value Fork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = ForkNode(env, [] { return fork(); });
  return Napi::Number::New(env, pid);
}

// forkpty() -> [pid, masterFd] in the parent, [0, -1] in the child, or -errno.
// The master is close-on-exec in the parent (Python makes it non-inheritable too); the
// child has the slave as its controlling terminal on fds 0..2 (login_tty(3)).
static Napi::Value ForkPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int master = -1;
  pid_t pid = ForkNode(env, [&] { return forkpty(&master, nullptr, nullptr, nullptr); });
  if (pid < 0) return Napi::Number::New(env, pid);
  if (pid > 0) {
    int flags = fcntl(master, F_GETFD);
    if (flags >= 0) fcntl(master, F_SETFD, flags | FD_CLOEXEC);
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, pid));
  out.Set(1u, Napi::Number::New(env, pid == 0 ? -1 : master));
  return out;
}

// exitNow(code): _exit(2), no atexit handlers, no Node teardown. The forked child's only
// way out (see the file header); also Python's os._exit.
static Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  _exit(ArgInt(info, 0) & 0xff);
}

// ---------------------------------------------------------------------------------------
// The child's natural end.

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

// ---------------------------------------------------------------------------------------
// exec.

// Everything exec changes in the calling process, so that a failed exec can put it back.
struct SavedState {
  struct sigaction actions[NSIG];
  bool changed_action[NSIG];
  sigset_t mask;
  int fd_flags[3];
  int fl_flags[3];
  bool have_termios[3];
  struct termios termios[3];
  std::vector<std::pair<int, int>> cloexec_set;  // fds >= 3 whose FD flags we changed
};

static bool Contains(const std::vector<int>& v, int fd) {
  for (int x : v)
    if (x == fd) return true;
  return false;
}

// Marks every fd >= 3 close-on-exec except those in keep. The directory fd is skipped.
static void CloseOnExecOthers(const std::vector<int>& keep, SavedState* saved) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  int dir_fd = dirfd(dir);
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int fd = atoi(e->d_name);
    if (fd < 3 || fd == dir_fd || Contains(keep, fd)) continue;
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC)) continue;
    if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0) saved->cloexec_set.push_back({fd, flags});
  }
  closedir(dir);
}

static void Prepare(const std::vector<int>& keep, SavedState* s) {
  sigprocmask(SIG_SETMASK, nullptr, &s->mask);
  for (int fd = 0; fd < 3; fd++) {
    s->fd_flags[fd] = fcntl(fd, F_GETFD);
    s->fl_flags[fd] = fcntl(fd, F_GETFL);
    s->have_termios[fd] = isatty(fd) && tcgetattr(fd, &s->termios[fd]) == 0;
  }
  uv_tty_reset_mode();
  for (int fd = 0; fd < 3; fd++) {
    if (s->fd_flags[fd] < 0) continue;  // closed: nothing to hand over
    ClearCloexec(fd);
    SetBlocking(fd);
  }
  // Kept fds are left as they are: set_inheritable cleared FD_CLOEXEC when the user asked;
  // if that fd was closed since and its number reused (with FD_CLOEXEC), it stays private.
  CloseOnExecOthers(keep, s);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    s->changed_action[sig] = false;
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, nullptr, &s->actions[sig]) != 0) continue;
    // Handlers are reset by execve itself; only SIG_IGN survives it.
    if (s->actions[sig].sa_handler != SIG_IGN || (s->actions[sig].sa_flags & SA_SIGINFO)) continue;
    if (sigaction(sig, &dfl, nullptr) == 0) s->changed_action[sig] = true;
  }
  UnblockAllSignals();
}

static void Restore(const std::vector<int>& keep, const SavedState& s) {
  sigprocmask(SIG_SETMASK, &s.mask, nullptr);
  for (int sig = 1; sig < NSIG; sig++) {
    if (s.changed_action[sig]) sigaction(sig, &s.actions[sig], nullptr);
  }
  for (const auto& [fd, flags] : s.cloexec_set) fcntl(fd, F_SETFD, flags);
  (void)keep;  // kept fds were inheritable already (set_inheritable); nothing to undo
  for (int fd = 0; fd < 3; fd++) {
    if (s.fd_flags[fd] >= 0) fcntl(fd, F_SETFD, s.fd_flags[fd]);
    if (s.fl_flags[fd] >= 0) fcntl(fd, F_SETFL, s.fl_flags[fd]);
    if (s.have_termios[fd]) tcsetattr(fd, TCSANOW, &s.termios[fd]);
  }
}

// An array of ints; false (nothing pending) when any element is not a number.
static bool ArgIntArray(const Napi::CallbackInfo& info, size_t i, std::vector<int>* out) {
  if (!info[i].IsArray()) return false;
  Napi::Array array = info[i].As<Napi::Array>();
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value v;
    int n = 0;
    if (!ElementOf(array, k, &v) || !ToInt(v, &n)) return false;
    out->push_back(n);
  }
  return true;
}

// execve(paths, fd, argv, envp, keepFds): tries execve(2) on each path in order (the PATH
// search of execvp is decided in TypeScript), or fexecve(3) on fd when fd >= 0. Returns
// only on failure: an array with -errno of each attempt, the process state restored.
static Napi::Value Execve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> paths, argv_s, envp_s;
  int exec_fd = -1;
  if (!ArgStringArray(info, 0, &paths) || !ToInt(info[1], &exec_fd) ||
      !ArgStringArray(info, 2, &argv_s) || !ArgStringArray(info, 3, &envp_s)) {
    return NegErrno(env, EINVAL);
  }
  std::vector<int> keep;
  if (!ArgIntArray(info, 4, &keep)) return NegErrno(env, EINVAL);
  if (exec_fd >= 0) keep.push_back(exec_fd);  // its own flags are the caller's choice
  std::vector<char*> argv = CStringVector(argv_s);
  std::vector<char*> envp = CStringVector(envp_s);

  auto saved = std::make_unique<SavedState>();
  Prepare(keep, saved.get());
  std::vector<int> errors;
  if (exec_fd >= 0) {
    fexecve(exec_fd, argv.data(), envp.data());
    errors.push_back(errno);
  } else {
    for (const std::string& path : paths) {
      execve(path.c_str(), argv.data(), envp.data());
      errors.push_back(errno);
    }
  }
  Restore(keep, *saved);

  Napi::Array out = Napi::Array::New(env, errors.size());
  for (uint32_t i = 0; i < errors.size(); i++) out.Set(i, Napi::Number::New(env, -errors[i]));
  return out;
}

// ---------------------------------------------------------------------------------------
// fd flags.

// getInheritable(fd) -> 1 / 0 (FD_CLOEXEC clear / set), or -errno.
static Napi::Value GetInheritable(const Napi::CallbackInfo& info) {
  int flags = fcntl(ArgInt(info, 0), F_GETFD);
  if (flags < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), (flags & FD_CLOEXEC) ? 0 : 1);
}

// setInheritable(fd, inheritable) -> 0 or -errno.
static Napi::Value SetInheritable(const Napi::CallbackInfo& info) {
  int fd = ArgInt(info, 0);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return NegErrno(info.Env(), errno);
  int wanted = ArgBool(info, 1) ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
  if (wanted != flags && fcntl(fd, F_SETFD, wanted) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// getBlocking(fd) -> 1 / 0 (O_NONBLOCK clear / set), or -errno.
static Napi::Value GetBlocking(const Napi::CallbackInfo& info) {
  int flags = fcntl(ArgInt(info, 0), F_GETFL);
  if (flags < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), (flags & O_NONBLOCK) ? 0 : 1);
}

// setBlocking(fd, blocking) -> 0 or -errno. O_NONBLOCK belongs to the open file
// description: every process sharing it sees the change (fcntl(2)).
static Napi::Value SetBlockingFlag(const Napi::CallbackInfo& info) {
  int fd = ArgInt(info, 0);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return NegErrno(info.Env(), errno);
  int wanted = ArgBool(info, 1) ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  if (wanted != flags && fcntl(fd, F_SETFL, wanted) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// dontForkRanges() -> [count, bytes] of the MADV_DONTFORK mappings now (diagnostics and
// tests: they must be back to DONTFORK in the parent after a fork).
static Napi::Value DontForkRanges(const Napi::CallbackInfo& info) {
  std::vector<Range> ranges;
  int r = FindDontForkRanges(&ranges);
  if (r < 0) return Napi::Number::New(info.Env(), r);
  double bytes = 0;
  for (const Range& x : ranges) bytes += static_cast<double>(x.end - x.start);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(ranges.size())));
  out.Set(1u, Napi::Number::New(info.Env(), bytes));
  return out;
}

void InitForkExec(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "forkNode", Fork);
  Export(env, exports, "forkptyNode", ForkPty);
  Export(env, exports, "exitNow", ExitNow);
  Export(env, exports, "guardChildLoop", GuardChildLoop);
  Export(env, exports, "execve", Execve);
  Export(env, exports, "getInheritable", GetInheritable);
  Export(env, exports, "setInheritable", SetInheritable);
  Export(env, exports, "getBlocking", GetBlocking);
  Export(env, exports, "setBlocking", SetBlockingFlag);
  Export(env, exports, "dontForkRanges", DontForkRanges);
}

}  // namespace unixproc
