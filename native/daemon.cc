// Starting a daemon: the double fork, in C, with only async-signal-safe calls in the
// children; and flock(2) for the pidfile lock.
//
// daemonize(candidates, argv, envp, cwd, config, extraEnv) where candidates/argv/envp/cwd/
// extraEnv are as spawnChild's (native/child.cc) and config is an Int32Array:
//   [stdin fd, stdout fd, stderr fd, umask, lock fd (-1: none)].
// Returns [daemonPid, daemonStartTicks] once the daemon has called execve, or
// [-errno, step] when a step failed (every process involved already reaped).
//
// The processes (see daemon(7), "SysV Daemons", and Stevens, APUE 13.3):
//   caller C   blocks every signal, forks I, restores its mask; reads I's report.
//   I          (intermediate) resets every disposition to SIG_DFL, setsid(): a new session
//              without a controlling terminal; forks D; reports D's pid to C; waits for D's
//              exec result on a CLOEXEC pipe; reports it; on failure reaps D by pid; _exit.
//   D          (the daemon) is in I's session but is not its leader, so it can never
//              acquire a controlling terminal (credentials(7): only a session leader does),
//              whatever it opens later, O_NOCTTY or not. It waits for C's "go" byte, then
//              takes stdio from the given fds, the lock fd as 3, every other fd closed on
//              exec, umask, chdir; unblocks every signal and execs.
// C reads D's start time from /proc while D waits for "go" (D is I's child and I does not
// reap it, so the pid cannot have been recycled), writes "<pid>\n" into the lock fd (the
// pidfile's temporary copy), sends "go", then reaps I by pid. Nothing ever waits for -1.
//
// The forks are raw clone(SIGCHLD) syscalls: no atfork handlers run in the copy of a
// threaded Node process, and the children call only what signal-safety(7) allows.
//
// See fork(2), clone(2), setsid(2), execve(2), umask(2), flock(2), daemon(7), proc(5).
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "addon.h"
#include "child_setup.h"
#include "exec_request.h"


namespace unixproc {

// Mirrored in lib/supervise/daemonize.ts.
enum DaemonConfig {
  DaemonStdin = 0,
  DaemonStdout = 1,
  DaemonStderr = 2,
  DaemonUmask = 3,
  DaemonLockFd = 4,
  DaemonConfigLength = 5,
};

// Which step failed (mirrored in lib/supervise/daemonize.ts, which names the syscall).
enum DaemonStep {
  DStepNone = 0, DStepFork = 1, DStepSetsid = 2, DStepPipe = 3, DStepDup2 = 4,
  DStepChdir = 5, DStepExecve = 6, DStepProc = 7, DStepLockWrite = 8,
};

// I -> C messages: {kind, value, step}.
enum MessageKind { MsgPid = 1, MsgResult = 2 };

constexpr size_t kKernelSigsetSize = _NSIG / 8;
// D's lock fd: right after stdio.
constexpr int kLockFd = 3;

struct DaemonArgs {
  char* const* candidates;
  size_t candidate_count;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  int stdio[3];
  mode_t umask_value;
  int lock_fd;
  int report_r, report_w;  // I -> C
  int go_r, go_w;          // C -> D
  unsigned int max_fd;
};

static pid_t RawFork() {
  return static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
}

static void WriteAll(int fd, const void* buf, size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    len -= static_cast<size_t>(n);
  }
}

static bool ReadAll(int fd, void* buf, size_t len) {
  char* p = static_cast<char*>(buf);
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

static void Report(int fd, int kind, int value, int step) {
  int msg[3] = {kind, value, step};
  WriteAll(fd, msg, sizeof msg);  // 12 bytes: one atomic pipe write
}

// D: fails with (errno, step) on the exec-error pipe. Never returns.
[[noreturn]] static void DaemonFail(int err_w, int step, int err) {
  int msg[2] = {err, step};
  WriteAll(err_w, msg, sizeof msg);
  _exit(127);
}

// D, from fork to execve. Only async-signal-safe calls.
[[noreturn]] static void DaemonMain(DaemonArgs* a, int err_w) {
  close(a->report_w);  // only I reports
  // Wait for C first: it reads this process's identity meanwhile, and nothing here may
  // fail (and be reaped by I) before it has. EOF: C gave up; say so on the error pipe,
  // so that I reaps this process rather than leaving it to whoever adopts it.
  char go = 0;
  if (!ReadAll(a->go_r, &go, 1)) DaemonFail(err_w, DStepNone, ECANCELED);
  // The error pipe must survive the dup2s onto 0..3 below.
  if (err_w <= kLockFd) {
    err_w = fcntl(err_w, F_DUPFD_CLOEXEC, kLockFd + 1);
    if (err_w < 0) _exit(127);
  }
  // stdio (and the lock fd): move every source out of 0..3 first, so that no dup2
  // overwrites a source another target still needs. The copies are CLOEXEC.
  int src[4];
  for (int i = 0; i < 3; i++) src[i] = a->stdio[i];
  src[3] = a->lock_fd;
  for (int i = 0; i < 4; i++) {
    if (src[i] >= 0 && src[i] <= kLockFd) {
      src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, kLockFd + 1);
      if (src[i] < 0) DaemonFail(err_w, DStepDup2, errno);
    }
  }
  for (int i = 0; i < 4; i++) {
    if (src[i] < 0) continue;  // no lock fd
    // dup2 clears FD_CLOEXEC on the target.
    if (RetryEintr([&] { return dup2(src[i], i); }) < 0) DaemonFail(err_w, DStepDup2, errno);
    if (i < 3) SetBlocking(i);
  }
  // Everything else closes at exec (the go and error pipes live until then).
  const unsigned int first = a->lock_fd >= 0 ? kLockFd + 1 : kLockFd;
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (unsigned int fd = first; fd < a->max_fd; fd++) {
      int flags = fcntl(static_cast<int>(fd), F_GETFD);
      if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
    }
  }
  umask(a->umask_value);
  if (a->cwd != nullptr && chdir(a->cwd) < 0) DaemonFail(err_w, DStepChdir, errno);

  UnblockAllSignals();
  const int err = ExecCandidates(a->candidates, a->candidate_count, a->argv, a->envp);
  DaemonFail(err_w, DStepExecve, err);
}

// I. Only async-signal-safe calls. Never returns.
[[noreturn]] static void IntermediateMain(DaemonArgs* a) {
  ResetSignalDispositions();  // every signal is still blocked (C blocked them)
  // C's ends: D must see EOF on "go" when C closes its end.
  close(a->report_r);
  close(a->go_w);
  if (setsid() < 0) {
    Report(a->report_w, MsgResult, errno, DStepSetsid);
    _exit(1);
  }
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) < 0) {
    Report(a->report_w, MsgResult, errno, DStepPipe);
    _exit(1);
  }
  pid_t pid = RawFork();
  if (pid < 0) {
    Report(a->report_w, MsgResult, errno, DStepFork);
    _exit(1);
  }
  if (pid == 0) {
    close(err_pipe[0]);
    DaemonMain(a, err_pipe[1]);
  }
  close(err_pipe[1]);
  Report(a->report_w, MsgPid, pid, DStepNone);
  // EOF: D exec'd (or was killed by a signal before exec).
  int msg[2] = {0, 0};
  bool failed = ReadAll(err_pipe[0], msg, sizeof msg);
  if (failed) {
    int status = 0;
    RetryEintr([&] { return waitpid(pid, &status, 0); });  // D has _exit'ed: reap it
    Report(a->report_w, MsgResult, msg[0], msg[1]);
  } else {
    Report(a->report_w, MsgResult, 0, DStepNone);
  }
  _exit(0);
}

// Field 22 of /proc/<pid>/stat (starttime, clock ticks after boot), parsed after the last
// ')' (comm may hold spaces and parentheses); -1 when it cannot be read.
static double StartTicks(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[1024];
  ssize_t n = RetryEintr([&] { return read(fd, buf, sizeof buf - 1); });
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char* p = strrchr(buf, ')');
  if (p == nullptr) return -1;
  p++;
  // After ')': field 3 (state) is the first; starttime is field 22.
  for (int field = 3; field < 22; field++) {
    p = strchr(p + 1, ' ');
    if (p == nullptr) return -1;
  }
  return strtod(p + 1, nullptr);
}

static Napi::Value Daemonize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExecRequest req;
  if (!ReadExecRequest(info, DaemonConfigLength, &req)) return NegErrno(env, EINVAL);
  Napi::Int32Array& config = req.config;
  for (int i = 0; i < 3; i++) {
    if (config[i] < 0) return NegErrno(env, EINVAL);
  }

  DaemonArgs a{};
  a.candidates = req.candidates.data();
  a.candidate_count = req.candidate_strings.size();
  a.argv = req.argv.data();
  a.envp = req.envp.data();
  a.cwd = req.cwd.empty() ? nullptr : req.cwd.c_str();
  for (int i = 0; i < 3; i++) a.stdio[i] = config[i];
  a.umask_value = static_cast<mode_t>(config[DaemonUmask] & 0777);
  a.lock_fd = config[DaemonLockFd];
  struct rlimit rl {};
  a.max_fd = (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
                 ? static_cast<unsigned int>(rl.rlim_cur) : 65536U;

  int report[2] = {-1, -1};
  int go[2] = {-1, -1};
  if (pipe2(report, O_CLOEXEC) < 0) return NegErrno(env, errno);
  if (pipe2(go, O_CLOEXEC) < 0) {
    int err = errno;
    close(report[0]);
    close(report[1]);
    return NegErrno(env, err);
  }
  a.report_r = report[0];
  a.report_w = report[1];
  a.go_r = go[0];
  a.go_w = go[1];

  // Every signal blocked across the fork (glibc's internal ones too, see native/child.cc):
  // no handler of Node's may run in the copy before its dispositions are reset.
  sigset_t all, old;
  memset(&all, 0xff, sizeof all);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, kKernelSigsetSize);
  pid_t intermediate = RawFork();
  int fork_errno = errno;
  if (intermediate == 0) IntermediateMain(&a);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, kKernelSigsetSize);
  close(report[1]);
  close(go[0]);
  if (intermediate < 0) {
    close(report[0]);
    close(go[1]);
    return NegErrno(env, fork_errno);
  }

  int err = 0, step = DStepNone;
  pid_t daemon_pid = -1;
  double start_ticks = -1;
  int msg[3] = {0, 0, 0};
  if (!ReadAll(report[0], msg, sizeof msg)) {
    err = EPIPE;
    step = DStepFork;
  } else if (msg[0] == MsgResult) {
    err = msg[1];
    step = msg[2];
  } else {
    daemon_pid = msg[1];
    // D waits for "go", unreaped by I: this pid is D.
    start_ticks = StartTicks(daemon_pid);
    if (start_ticks < 0) {
      err = errno != 0 ? errno : EIO;
      step = DStepProc;
    } else if (a.lock_fd >= 0) {
      char text[16];
      int len = snprintf(text, sizeof text, "%d\n", static_cast<int>(daemon_pid));
      if (ftruncate(a.lock_fd, 0) < 0 || pwrite(a.lock_fd, text, static_cast<size_t>(len), 0) != len) {
        err = errno != 0 ? errno : EIO;
        step = DStepLockWrite;
      }
    }
    if (step == DStepNone) {
      char byte = 1;
      WriteAll(go[1], &byte, 1);
    }
    // On a failure above, closing "go" makes D report ECANCELED and _exit; I reaps it
    // before its final report, which the read below waits for.
    close(go[1]);
    go[1] = -1;
    if (ReadAll(report[0], msg, sizeof msg) && msg[0] == MsgResult && msg[1] != 0 && step == DStepNone) {
      err = msg[1];
      step = msg[2];
    }
  }
  if (go[1] >= 0) close(go[1]);
  close(report[0]);
  int status = 0;
  RetryEintr([&] { return waitpid(intermediate, &status, 0); });  // by pid, never -1

  if (step != DStepNone) {
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Number::New(env, -err));
    out.Set(1u, Napi::Number::New(env, step));
    return out;
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, daemon_pid));
  out.Set(1u, Napi::Number::New(env, start_ticks));
  return out;
}

// flock(fd, operation) -> 0 or -errno (EWOULDBLOCK with LOCK_NB when another open file
// description holds a conflicting lock). See flock(2).
static Napi::Value Flock(const Napi::CallbackInfo& info) {
  int fd = 0, op = 0;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &op)) return NegErrno(info.Env(), EINVAL);
  if (RetryEintr([&] { return flock(fd, op); }) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

void InitDaemon(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "daemonize", Daemonize);
  Export(env, exports, "flock", Flock);
}

}  // namespace unixproc
