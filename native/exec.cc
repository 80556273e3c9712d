// execve(2)/fexecve(3) that leave no Node state behind, and the fd flag calls behind
// Python's get/set_inheritable and get/set_blocking (fcntl(2)).
//
// Before execve, undo what Node did to the process (libuv's uv__process_child_init is the
// reference): fds 0..2 inheritable and blocking, TTY mode reset (uv_tty_reset_mode),
// ignored signals (SIGPIPE, SIGXFSZ, ...) back to SIG_DFL, empty signal mask, every fd >= 3
// close-on-exec unless the caller keeps it. Handled signals need no reset: execve(2) resets
// them itself, and leaving them alone means no SIGCHLD is lost if the exec fails. If every
// exec attempt fails, the exact previous state is put back and the errnos are returned.
//
// Only N-API and libuv's public API are used here (the main addon is an N-API prebuild,
// portable across Node versions); fork()/forkpty() need Node's C++ API and live in the
// fork addon (fork-addon/).
//
// Man pages: execve(2), fexecve(3), fcntl(2), sigaction(2), sigprocmask(2), termios(3).
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>
#include <memory>
#include <vector>

#include "addon.h"
#include "child_setup.h"

namespace unixproc {

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

// Terminal attribute changes from a background process group raise SIGTTOU, whose
// default action stops the process (termios(3), "Job control"); a blocked SIGTTOU lets the
// change through instead (tty_check_change treats blocked as ignored). Every tcsetattr here
// runs with SIGTTOU blocked, and the mask is put back after. sigprocmask, not
// pthread_sigmask: glibc's sigprocmask sets the calling thread's mask, as pthread_sigmask
// does (both leave its internal signals alone), and pthread_sigmask names GLIBC_2.32, which
// older glibcs lack (native/glibc_versions.h).
class TtouBlocked {
 public:
  TtouBlocked() {
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old_);
  }
  ~TtouBlocked() { sigprocmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

static bool SameTermios(const struct termios& a, const struct termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
         a.c_lflag == b.c_lflag && memcmp(a.c_cc, b.c_cc, sizeof a.c_cc) == 0 &&
         cfgetispeed(&a) == cfgetispeed(&b) && cfgetospeed(&a) == cfgetospeed(&b);
}

static void Prepare(const std::vector<int>& keep, SavedState* s) {
  sigprocmask(SIG_SETMASK, nullptr, &s->mask);
  for (int fd = 0; fd < 3; fd++) {
    s->fd_flags[fd] = fcntl(fd, F_GETFD);
    s->fl_flags[fd] = fcntl(fd, F_GETFL);
    s->have_termios[fd] = isatty(fd) && tcgetattr(fd, &s->termios[fd]) == 0;
  }
  {
    TtouBlocked guard;
    uv_tty_reset_mode();  // only writes when Node had put the terminal in raw mode
  }
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
  for (int sig = 1; sig < NSIG; sig++) {
    if (s.changed_action[sig]) sigaction(sig, &s.actions[sig], nullptr);
  }
  for (const auto& [fd, flags] : s.cloexec_set) fcntl(fd, F_SETFD, flags);
  (void)keep;  // kept fds were inheritable already (set_inheritable); nothing to undo
  for (int fd = 0; fd < 3; fd++) {
    if (s.fd_flags[fd] >= 0) fcntl(fd, F_SETFD, s.fd_flags[fd]);
    if (s.fl_flags[fd] >= 0) fcntl(fd, F_SETFL, s.fl_flags[fd]);
    if (!s.have_termios[fd]) continue;
    // Written back only when it changed (uv_tty_reset_mode left raw mode): a process in the
    // background of its terminal would otherwise be stopped by SIGTTOU for nothing.
    struct termios now;
    if (tcgetattr(fd, &now) == 0 && SameTermios(now, s.termios[fd])) continue;
    TtouBlocked guard;
    tcsetattr(fd, TCSANOW, &s.termios[fd]);
  }
  sigprocmask(SIG_SETMASK, &s.mask, nullptr);  // last: SIGTTOU was blocked until here
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
  int fd = -1;
  if (!ToInt(info[0], &fd)) return NegErrno(info.Env(), EINVAL);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), (flags & FD_CLOEXEC) ? 0 : 1);
}

// setInheritable(fd, inheritable) -> 0 or -errno.
static Napi::Value SetInheritable(const Napi::CallbackInfo& info) {
  int fd = -1;
  bool on = false;
  if (!ToInt(info[0], &fd) || !ToBool(info[1], &on)) return NegErrno(info.Env(), EINVAL);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return NegErrno(info.Env(), errno);
  int wanted = on ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
  if (wanted != flags && fcntl(fd, F_SETFD, wanted) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// getBlocking(fd) -> 1 / 0 (O_NONBLOCK clear / set), or -errno.
static Napi::Value GetBlocking(const Napi::CallbackInfo& info) {
  int fd = -1;
  if (!ToInt(info[0], &fd)) return NegErrno(info.Env(), EINVAL);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), (flags & O_NONBLOCK) ? 0 : 1);
}

// setBlocking(fd, blocking) -> 0 or -errno. O_NONBLOCK belongs to the open file
// description: every process sharing it sees the change (fcntl(2)).
static Napi::Value SetBlockingFlag(const Napi::CallbackInfo& info) {
  int fd = -1;
  bool on = false;
  if (!ToInt(info[0], &fd) || !ToBool(info[1], &on)) return NegErrno(info.Env(), EINVAL);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return NegErrno(info.Env(), errno);
  int wanted = on ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  if (wanted != flags && fcntl(fd, F_SETFL, wanted) < 0) return NegErrno(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

void InitExec(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "execve", Execve);
  Export(env, exports, "getInheritable", GetInheritable);
  Export(env, exports, "setInheritable", SetInheritable);
  Export(env, exports, "getBlocking", GetBlocking);
  Export(env, exports, "setBlocking", SetBlockingFlag);
}

}  // namespace unixproc
